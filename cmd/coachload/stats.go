package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Result is what one phase measured: one server (the baseline or coachbot)
// driven at one concurrency for one duration.
type Result struct {
	Name        string        // "baseline" or "coachbot"
	Round       int           // 1-based
	Platform    string        // "slack" or "discord"
	URL         string        // the endpoint driven
	Concurrency int           // workers, each with its own connection
	Duration    time.Duration // the measured window (warm-up not included)

	// Requests counts every request started in the measured window; each
	// is either OK or one of the errors below.
	Requests int64
	OK       int64
	// Elapsed runs from the start of the window until the last request
	// started in it finished, so that RPS counts no request twice and
	// leaves none out.
	Elapsed time.Duration
	// RPS is successful answers per second of Elapsed: a fast error is not
	// throughput.
	RPS float64

	// Latency of the successful answers only: an error's time says nothing
	// about serving (a refused connection is fast, a timeout is the limit).
	P50, P90, P99, Max, Mean time.Duration

	Statuses  map[int]int64 // every HTTP status received
	BadStatus int64         // answers that were not 2xx
	BadBody   int64         // 2xx answers without the platform's JSON answer
	Timeouts  int64         // no answer within -timeout
	Transport int64         // other transport errors (refused, reset…)

	// RateLimited counts successful answers that were coachbot's per-user
	// "slow down" reply (best effort: a case-insensitive match).
	RateLimited int64
	// Deferred counts Discord answers of type 5: coachbot acknowledged and
	// would edit the answer in later.
	Deferred int64
	// Late counts successful answers slower than LateAfter: the platform
	// would have given up on most of them.
	Late int64

	// ClientCPU is the load generator's own CPU use in the window, in
	// cores; on a small machine it shares the cores with the server.
	ClientCPU float64
	// ServerCPU is the server process's CPU use in the window, in cores,
	// and ServerCPUPerRequest that CPU time per request; both zero when the
	// server's process is not known (coachbot without -pid) or not on
	// Linux. /proc counts in 10 ms ticks, so short windows are coarse.
	ServerCPU           float64
	ServerCPUPerRequest time.Duration
	// BuildPerRequest is the mean client time to build and sign one
	// request, the same for both phases since the requests are the same.
	BuildPerRequest time.Duration
	// AnswerBytes is the mean body size of the successful answers: what
	// the server wrote and the client read, which costs both of them.
	AnswerBytes int64
}

// LateAfter is when an answer counts as late: coachbot promises every
// answer within 2.5 s (DESIGN §2), and Slack and Discord drop it after 3 s.
const LateAfter = 2500 * time.Millisecond

// Errors is the number of requests that did not get a successful answer.
func (r *Result) Errors() int64 { return r.BadStatus + r.BadBody + r.Timeouts + r.Transport }

// setLatencies fills the percentiles from the successful answers'
// latencies, sorting them in place.
func (r *Result) setLatencies(lat []time.Duration) {
	slices.Sort(lat)
	r.P50 = percentile(lat, 0.50)
	r.P90 = percentile(lat, 0.90)
	r.P99 = percentile(lat, 0.99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		r.Mean = sum / time.Duration(len(lat))
	}
}

// percentile returns the q-quantile (0 < q <= 1) of sorted by the
// nearest-rank method: the smallest sample that at least q of all samples
// are at or below. Unlike interpolation it always returns a latency that
// was really measured. It returns 0 for no samples.
func percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Ratio compares coachbot with the baseline measured in the same run.
type Ratio struct {
	// RPS is coachbot's req/s divided by the baseline's: 1 is as fast as a
	// bare handler, 0.5 half as fast.
	RPS float64 `json:"rps"`
	// P99 is coachbot's p99 divided by the baseline's: how much longer its
	// slow tail is.
	P99 float64 `json:"p99"`
	// CPUPerRequest is coachbot's server CPU per request divided by the
	// baseline's, when both are known: what a request costs beyond the bare
	// handler, and less at the mercy of a busy machine than req/s.
	CPUPerRequest float64 `json:"cpu_per_request,omitempty"`
}

func ratio(base, coach *Result) *Ratio {
	if base == nil || coach == nil {
		return nil
	}
	return &Ratio{RPS: div(coach.RPS, base.RPS), P99: div(float64(coach.P99), float64(base.P99)),
		CPUPerRequest: div(float64(coach.ServerCPUPerRequest), float64(base.ServerCPUPerRequest))}
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// MarshalJSON writes durations in milliseconds and statuses by their code,
// which is what a script reading -json output wants.
func (r *Result) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*1000) / 1000 }
	us := func(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)*10) / 10 }
	statuses := make(map[string]int64, len(r.Statuses))
	for code, n := range r.Statuses {
		statuses[strconv.Itoa(code)] = n
	}
	return json.Marshal(struct {
		Name             string           `json:"name"`
		Round            int              `json:"round"`
		Platform         string           `json:"platform"`
		URL              string           `json:"url"`
		Concurrency      int              `json:"concurrency"`
		DurationS        float64          `json:"duration_s"`
		ElapsedS         float64          `json:"elapsed_s"`
		Requests         int64            `json:"requests"`
		OK               int64            `json:"ok"`
		RPS              float64          `json:"rps"`
		P50              float64          `json:"p50_ms"`
		P90              float64          `json:"p90_ms"`
		P99              float64          `json:"p99_ms"`
		Max              float64          `json:"max_ms"`
		Mean             float64          `json:"mean_ms"`
		Errors           int64            `json:"errors"`
		Statuses         map[string]int64 `json:"statuses"`
		BadStatus        int64            `json:"bad_status"`
		BadBody          int64            `json:"bad_body"`
		Timeouts         int64            `json:"timeouts"`
		Transport        int64            `json:"transport_errors"`
		RateLimited      int64            `json:"rate_limited"`
		Deferred         int64            `json:"deferred"`
		Late             int64            `json:"late"`
		ClientCPU        float64          `json:"client_cpu_cores"`
		ServerCPU        float64          `json:"server_cpu_cores,omitempty"`
		ServerCPUPerReqU float64          `json:"server_cpu_per_request_us,omitempty"`
		BuildPerRequestU float64          `json:"build_per_request_us"`
		AnswerBytes      int64            `json:"answer_bytes"`
	}{
		r.Name, r.Round, r.Platform, r.URL, r.Concurrency, r.Duration.Seconds(), r.Elapsed.Seconds(),
		r.Requests, r.OK, math.Round(r.RPS*10) / 10,
		ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), ms(r.Mean),
		r.Errors(), statuses, r.BadStatus, r.BadBody, r.Timeouts, r.Transport,
		r.RateLimited, r.Deferred, r.Late,
		math.Round(r.ClientCPU*100) / 100, math.Round(r.ServerCPU*100) / 100, us(r.ServerCPUPerRequest), us(r.BuildPerRequest),
		r.AnswerBytes,
	})
}

// fmtDur prints a latency in milliseconds with about two significant
// digits below 100 ms, which is as precise as a loaded machine is.
func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.0fms", ms)
}
