package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// A generator makes one platform's requests. One generator serves every
// phase of a run, so the baseline and coachbot get the same requests:
// same bodies, same signing, same mix of users and commands.
type generator interface {
	// path is the endpoint below a server's base URL.
	path() string
	// newBuilder returns a builder for one worker; builders are not safe
	// for concurrent use, generators are.
	newBuilder() builder
	// check reports whether the body of a 2xx answer is the platform's
	// answer to a command, and whether that answer was deferred.
	check(body []byte) (ok, deferred bool)
}

// A builder builds requests, one worker's.
type builder interface {
	// build returns request number seq (unique in the run), the command
	// line numbered line of the mix from user number user of the pool,
	// signed at now: its body (a fresh slice) and its headers.
	build(seq, user uint64, line int, now time.Time) ([]byte, http.Header)
}

// mix chooses who sends request number seq, and which command line.
type mix struct {
	lines []string
	users uint64
}

// pick returns request seq's user (0 … users-1) and command line index.
// Users take turns (round robin), so each sends the same share and none
// reaches coachbot's per-user limit early; the command moves on each time
// the users come round again, so every user sends the whole mix.
func (m *mix) pick(seq uint64) (user uint64, line int) {
	user = seq % m.users
	return user, int((seq + seq/m.users) % uint64(len(m.lines)))
}

// phase is one server driven for one measured window.
type phase struct {
	name     string // "baseline" or "coachbot"
	round    int
	platform string
	url      string // the endpoint: base URL + the generator's path
	gen      generator
	mix      *mix
	seq      *atomic.Uint64 // shared by every phase of the run: request numbers never repeat
	c        int
	warmup   time.Duration
	d        time.Duration
	timeout  time.Duration
	pid      int // the server's process, for its CPU use; 0: unknown
	// lines, when set, is the lineHeader value of each command line of the
	// mix, sent with every request (-baseline-answers).
	lines [][]string
}

// workerStats is what one worker counted; merged at the end of the phase
// so that workers share no counters while they run.
type workerStats struct {
	lat                              []time.Duration
	statuses                         map[int]int64
	requests, ok, badStatus, badBody int64
	timeouts, transport              int64
	rateLimited, deferred, late      int64
	answerBytes                      int64
	build                            time.Duration
	last                             time.Time // when its last measured request finished
}

// newTransport is the client side of a phase: one transport whose
// connection pool holds exactly one keep-alive connection per worker, so
// c workers are c connections, as c busy clients of Slack or Discord are.
func newTransport(c int) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // never through a proxy: the target is local
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c,
		MaxIdleConnsPerHost: c,
		MaxConnsPerHost:     c,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// run drives the phase's server: c workers send requests back to back for
// warmup + d; requests started in the first warmup are not counted. It
// returns when every request started in the window has finished.
func (p *phase) run(ctx context.Context) *Result {
	tr := newTransport(p.c)
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		Timeout:   p.timeout,
		// A redirect is not an answer; report it as the status it is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	from := start.Add(p.warmup)
	until := from.Add(p.d)

	// The client's and the server's CPU are read at the window's edges,
	// by a timer, since the workers are busy.
	var cpu0, cpu1, srv0, srv1 time.Duration
	var cpuOK0, cpuOK1, srvOK0, srvOK1 bool
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		sleepUntil(ctx, from)
		cpu0, cpuOK0 = processCPU()
		srv0, srvOK0 = serverCPU(p.pid)
		sleepUntil(ctx, until)
		cpu1, cpuOK1 = processCPU()
		srv1, srvOK1 = serverCPU(p.pid)
	}()

	stats := make([]*workerStats, p.c)
	var wg sync.WaitGroup
	for i := range p.c {
		st := &workerStats{statuses: map[int]int64{}, lat: make([]time.Duration, 0, 4096)}
		stats[i] = st
		wg.Go(func() { p.work(ctx, client, st, from, until) })
	}
	wg.Wait()
	<-cpuDone

	r := &Result{Name: p.name, Round: p.round, Platform: p.platform, URL: p.url, Concurrency: p.c, Duration: p.d, Statuses: map[int]int64{}}
	var lat []time.Duration
	var build time.Duration
	var answerBytes int64
	last := until
	for _, st := range stats {
		lat = append(lat, st.lat...)
		for code, n := range st.statuses {
			r.Statuses[code] += n
		}
		r.Requests += st.requests
		r.OK += st.ok
		r.BadStatus += st.badStatus
		r.BadBody += st.badBody
		r.Timeouts += st.timeouts
		r.Transport += st.transport
		r.RateLimited += st.rateLimited
		r.Deferred += st.deferred
		r.Late += st.late
		build += st.build
		answerBytes += st.answerBytes
		if st.last.After(last) {
			last = st.last
		}
	}
	r.Elapsed = last.Sub(from)
	if r.Elapsed > 0 {
		r.RPS = float64(r.OK) / r.Elapsed.Seconds()
	}
	if r.Requests > 0 {
		r.BuildPerRequest = build / time.Duration(r.Requests)
	}
	if r.OK > 0 {
		r.AnswerBytes = answerBytes / r.OK
	}
	if cpuOK0 && cpuOK1 {
		r.ClientCPU = (cpu1 - cpu0).Seconds() / p.d.Seconds()
	}
	if srvOK0 && srvOK1 {
		r.ServerCPU = (srv1 - srv0).Seconds() / p.d.Seconds()
		// Per request started in the window: the few still running at its
		// end are not all in this CPU time, a small error over a window of
		// thousands.
		if n := r.Requests; n > 0 {
			r.ServerCPUPerRequest = (srv1 - srv0) / time.Duration(n)
		}
	}
	r.setLatencies(lat)
	return r
}

func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// work is one worker: one request at a time, the next as soon as the last
// is answered, until the window ends.
func (p *phase) work(ctx context.Context, client *http.Client, st *workerStats, from, until time.Time) {
	b := p.gen.newBuilder()
	var buf bytes.Buffer
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(until) {
			return
		}
		measured := !now.Before(from)
		seq := p.seq.Add(1) - 1
		user, line := p.mix.pick(seq)
		body, h := b.build(seq, user, line, now)
		if p.lines != nil {
			h[lineHeader] = p.lines[line]
		}
		t0 := time.Now()
		if measured {
			st.build += t0.Sub(now)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
		if err != nil {
			// The URL was checked before the run; nothing else fails here.
			panic(err)
		}
		req.Header = h
		res, err := client.Do(req)
		buf.Reset()
		if err == nil {
			_, err = buf.ReadFrom(res.Body)
			res.Body.Close()
		}
		took := time.Since(t0)
		if !measured {
			continue
		}
		if ctx.Err() != nil {
			return // interrupted: this request's fate says nothing
		}
		st.requests++
		st.last = t0.Add(took)
		if res != nil {
			st.statuses[res.StatusCode]++
		}
		switch {
		case err != nil && isTimeout(err):
			st.timeouts++
		case err != nil:
			st.transport++
		case res.StatusCode < 200 || res.StatusCode > 299:
			st.badStatus++
		default:
			ok, deferred := p.gen.check(buf.Bytes())
			if !ok {
				st.badBody++
				continue
			}
			st.ok++
			st.answerBytes += int64(buf.Len())
			st.lat = append(st.lat, took)
			if deferred {
				st.deferred++
			}
			if took > LateAfter {
				st.late++
			}
			if containsFold(buf.Bytes(), slowDown) {
				st.rateLimited++
			}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// slowDown is in coachbot's answer to a user over the per-user command
// limit ("Slow down…"); matched without regard to case.
var slowDown = []byte("slow down")

// containsFold reports whether b contains the lower-case ASCII pattern,
// ignoring ASCII case, without copying b (bodies are a few KiB, and this
// runs for every answer).
func containsFold(b, pattern []byte) bool {
	if len(pattern) == 0 {
		return true
	}
	first := pattern[0]
	for i := 0; i+len(pattern) <= len(b); i++ {
		if b[i]|0x20 == first && bytes.EqualFold(b[i:i+len(pattern)], pattern) {
			return true
		}
	}
	return false
}

// ProbeAnswer is what one command line got when sent once.
type ProbeAnswer struct {
	Line        string
	Status      int
	ContentType string
	Body        []byte
	Err         error
}

// probe sends each command line of the mix once, as user 0 of the pool,
// and returns the answers: a check, before a run, that coachbot
// understands the requests (an option it does not know would still get a
// 200, with "Hmm, not quite" in it).
func probe(ctx context.Context, url string, gen generator, m *mix, seq *atomic.Uint64, timeout time.Duration) []ProbeAnswer {
	client := &http.Client{Transport: newTransport(1), Timeout: timeout}
	defer client.CloseIdleConnections()
	b := gen.newBuilder()
	out := make([]ProbeAnswer, 0, len(m.lines))
	for i, line := range m.lines {
		a := ProbeAnswer{Line: line}
		body, h := b.build(seq.Add(1)-1, 0, i, time.Now())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err == nil {
			req.Header = h
			var res *http.Response
			if res, err = client.Do(req); err == nil {
				a.Status, a.ContentType = res.StatusCode, res.Header.Get("Content-Type")
				a.Body, err = io.ReadAll(res.Body)
				res.Body.Close()
			}
		}
		a.Err = err
		out = append(out, a)
	}
	return out
}

// String is one line for the probe's report.
func (a ProbeAnswer) String() string {
	if a.Err != nil {
		return fmt.Sprintf("%-24q error: %v", a.Line, a.Err)
	}
	s := string(bytes.Join(bytes.Fields(a.Body), []byte(" ")))
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return fmt.Sprintf("%-24q %d %s", a.Line, a.Status, s)
}
