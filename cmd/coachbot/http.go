package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/coachbot/coachbot/bot"
)

// newHTTPHandler serves the operational endpoints of DESIGN §6: /healthz,
// /readyz and, with withMetrics, /metrics. Platform adapters add their own
// paths to the same mux.
func newHTTPHandler(store bot.Store, m *metrics, withMetrics bool) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	ready := &readiness{store: store}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready.check(r.Context()) {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "store unavailable")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if withMetrics {
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	}
	return mux
}

// readyFor is how long a /readyz answer is reused. /readyz may be on the
// public port, where anyone can call it: without this each call was a
// Redis PING. Probes come every few seconds, so they see no difference.
const readyFor = time.Second

// readiness pings the store for /readyz, at most once per readyFor
// however many ask: one caller pings while the others wait for its answer.
type readiness struct {
	store bot.Store

	mu      sync.Mutex // held while pinging: the others wait, then reuse
	checked time.Time
	ok      bool
}

func (r *readiness) check(ctx context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) < readyFor {
		return r.ok
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	r.ok = r.store.Ping(ctx) == nil
	r.checked = time.Now()
	return r.ok
}

// httpServer is one listening server of the process: the public one
// (COACH_HTTP_ADDR) or the metrics one (COACH_METRICS_ADDR).
type httpServer struct {
	variable string // the setting that names Addr, for errors
	addr     string
	handler  http.Handler
	// maxConns caps the connections served at once (0: no cap). More wait
	// in the kernel's listen queue: each served connection holds a
	// goroutine and its buffers, and a flood of idle ones must not take
	// the process past its memory limit.
	maxConns  int
	grace     time.Duration // how long Shutdown waits for requests in flight
	listening func(addr string)
}

// idleTimeout closes a keep-alive connection that sends no new request:
// Slack and Discord open fresh connections often enough, and each idle one
// holds memory and, with maxConns, a place.
const idleTimeout = 30 * time.Second

// serve listens on the address and serves until ctx ends, then shuts down
// gracefully within grace. listening is told the bound address (the port
// chosen for ":0") once the server accepts connections.
func (s httpServer) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("%s: cannot listen on %s: %w", s.variable, s.addr, err)
	}
	if s.maxConns > 0 {
		ln = netutil.LimitListener(ln, s.maxConns)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
	if s.listening != nil {
		s.listening(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// healthcheck asks the server listening on addr (COACH_HTTP_ADDR, default
// :8080) for /healthz over loopback and fails unless it answers 200. It is
// the container image's HEALTHCHECK: a distroless image has no curl.
func healthcheck(ctx context.Context, addr string) error {
	if addr == "" {
		addr = defaultHTTPAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("COACH_HTTP_ADDR: %w", err)
	}
	// A server bound to every interface is reached on loopback.
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
