package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// durations returns 1ms … n ms.
func durations(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = ms(float64(i + 1))
	}
	return out
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"no samples", nil, 0.5, 0},
		{"one sample p50", durations(1), 0.5, ms(1)},
		{"one sample p99", durations(1), 0.99, ms(1)},
		{"two samples p50 is the lower", durations(2), 0.5, ms(1)},
		{"two samples p90 is the upper", durations(2), 0.9, ms(2)},
		{"100 samples p50", durations(100), 0.5, ms(50)},
		{"100 samples p90", durations(100), 0.9, ms(90)},
		{"100 samples p99", durations(100), 0.99, ms(99)},
		{"100 samples p100", durations(100), 1, ms(100)},
		{"1000 samples p99", durations(1000), 0.99, ms(990)},
		{"1001 samples p99 rounds up", durations(1001), 0.99, ms(991)},
		{"tiny q is the first", durations(10), 0.0001, ms(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%d samples, %v) = %v, want %v", len(tt.sorted), tt.q, got, tt.want)
			}
		})
	}
}

// TestSetLatencies: the samples arrive unsorted (merged from workers).
func TestSetLatencies(t *testing.T) {
	lat := durations(200)
	for i, j := 0, len(lat)-1; i < j; i, j = i+1, j-1 {
		lat[i], lat[j] = lat[j], lat[i]
	}
	var r Result
	r.setLatencies(lat)
	got := []time.Duration{r.P50, r.P90, r.P99, r.Max, r.Mean}
	want := []time.Duration{ms(100), ms(180), ms(198), ms(200), ms(100.5)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("p50, p90, p99, max, mean differ (-want +got):\n%s", d)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		name        string
		base, coach *Result
		want        *Ratio
	}{
		{"half as fast, twice the tail", &Result{RPS: 1000, P99: ms(4)}, &Result{RPS: 500, P99: ms(8)}, &Ratio{RPS: 0.5, P99: 2}},
		{"no baseline", nil, &Result{RPS: 500}, nil},
		{"with server CPU", &Result{RPS: 1000, P99: ms(4), ServerCPUPerRequest: 20 * time.Microsecond},
			&Result{RPS: 250, P99: ms(4), ServerCPUPerRequest: 100 * time.Microsecond}, &Ratio{RPS: 0.25, P99: 1, CPUPerRequest: 5}},
		{"a baseline with nothing measured", &Result{}, &Result{RPS: 5, P99: ms(1)}, &Ratio{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, ratio(tt.base, tt.coach)); d != "" {
				t.Errorf("ratio differs (-want +got):\n%s", d)
			}
		})
	}
}

func TestSummarise(t *testing.T) {
	round := func(n int, b, c float64, bp, cp time.Duration) Round {
		return Round{Round: n, Baseline: &Result{RPS: b, P99: bp}, Coachbot: &Result{RPS: c, P99: cp}}
	}
	rounds := []Round{round(1, 1000, 400, ms(2), ms(10)), round(2, 1200, 500, ms(4), ms(6)), round(3, 900, 450, ms(3), ms(8))}
	best, median := summarise(rounds)
	want := &Summary{BaselineRPS: 1200, CoachbotRPS: 500, BaselineP99: ms(4), CoachbotP99: ms(6), Ratio: Ratio{RPS: 500.0 / 1200, P99: 1.5}}
	if d := cmp.Diff(want, best); d != "" {
		t.Errorf("best differs (-want +got):\n%s", d)
	}
	want = &Summary{BaselineRPS: 1000, CoachbotRPS: 450, BaselineP99: ms(3), CoachbotP99: ms(8), Ratio: Ratio{RPS: 0.45, P99: 8.0 / 3}}
	if d := cmp.Diff(want, median); d != "" {
		t.Errorf("median differs (-want +got):\n%s", d)
	}
}

func TestMedianOf(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1}, 2}, {[]float64{5, 1, 3}, 3}}
	for _, tt := range tests {
		if got := medianOf(tt.in); got != tt.want {
			t.Errorf("medianOf(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestContainsFold(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"text":"Slow down a little: try again in 20 seconds."}`, true},
		{`SLOW DOWN`, true},
		{`please slow down`, true},
		{`slow  down`, false},
		{`slow dow`, false},
		{``, false},
		{`{"text":"Step 1 of 8"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			if got := containsFold([]byte(tt.body), slowDown); got != tt.want {
				t.Errorf("containsFold(%q) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

// TestResultJSON: -json gives milliseconds and statuses by code.
func TestResultJSON(t *testing.T) {
	r := &Result{Name: "coachbot", Platform: "slack", Requests: 3, OK: 2, BadStatus: 1, P99: 1500 * time.Microsecond,
		Statuses: map[int]int64{200: 2, 503: 1}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"p99_ms": 1.5, "errors": 1.0, "statuses": map[string]any{"200": 2.0, "503": 1.0}}
	for k, v := range want {
		if d := cmp.Diff(v, got[k]); d != "" {
			t.Errorf("%s differs (-want +got):\n%s", k, d)
		}
	}
}
