package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/coachbot/coachbot/bot"
)

// metrics are the Prometheus series of DESIGN §6. Labels hold only bounded
// sets (command paths from the spec, outcomes, store operations): never a
// user, a message or anything a user typed.
type metrics struct {
	registry    *prometheus.Registry
	commands    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	reminders   *prometheus.CounterVec
	lag         prometheus.Histogram
	storeErrors *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coachbot_commands_total",
			Help: "Commands handled, by command path and outcome (ok, invalid, not_found, conflict, unavailable, internal, limited: over the per-user rate limit).",
		}, []string{"command", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "coachbot_command_duration_seconds",
			Help:    "Time to answer a command, by command path.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"command"}),
		reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coachbot_reminders_total",
			Help: "Claimed reminder occurrences by outcome: sent, skipped (the daily DM not sent: the user already checked in that day), late (skipped, older than the grace period), duplicate (already delivered), retry, paused (recipient unreachable), dropped (dead-lettered after repeated failures), released (given back unsent at shutdown), expired (not sent: the lease ran out, or would have, before a worker got to it).",
		}, []string{"outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "coachbot_reminder_lag_seconds",
			Help:    "Delivery lag of sent reminders: sent time minus due time.",
			Buckets: []float64{.1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 10800},
		}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coachbot_store_errors_total",
			Help: "Store calls that failed, by operation and error code (stale claims are not errors).",
		}, []string{"op", "code"}),
	}
	// Every outcome is a series from the start, so a dashboard shows 0
	// rather than nothing before the first reminder.
	for _, o := range []string{"sent", "skipped", "late", "duplicate", "retry", "paused", "dropped", "released", "expired"} {
		m.reminders.WithLabelValues(o)
	}
	m.registry.MustRegister(m.commands, m.latency, m.reminders, m.lag, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// onCommand is the bot's OnCommand hook.
func (m *metrics) onCommand(command string, outcome bot.Code, took time.Duration) {
	o := string(outcome)
	if o == "" {
		o = "ok"
	}
	m.commands.WithLabelValues(command, o).Inc()
	m.latency.WithLabelValues(command).Observe(took.Seconds())
}

// onDelivery is the scheduler's OnDelivery hook.
func (m *metrics) onDelivery(outcome string, lag time.Duration) {
	m.reminders.WithLabelValues(outcome).Inc()
	if outcome == "sent" {
		m.lag.Observe(lag.Seconds())
	}
}

// countingStore counts a Store's failures per operation, so an operator sees
// a struggling store before users complain. It wraps bot.Store only: the
// store's optional ports (Limiter, Deduper, DeadLetters, UserGate) are
// resolved from the unwrapped store once, at wiring (storePorts), so this
// wrapper cannot hide them.
type countingStore struct {
	bot.Store
	m *metrics
}

func (s countingStore) count(op string, err error) error {
	if err != nil && bot.ErrorCode(err) != bot.Conflict {
		s.m.storeErrors.WithLabelValues(op, string(bot.ErrorCode(err))).Inc()
	}
	return err
}

func (s countingStore) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	u, err := s.Store.User(ctx, id)
	return u, s.count("user", err)
}

func (s countingStore) UpdateUser(ctx context.Context, id bot.UserID, fn func(*bot.User) error) (bot.User, error) {
	u, err := s.Store.UpdateUser(ctx, id, fn)
	return u, s.count("update_user", err)
}

func (s countingStore) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]bot.Claim, error) {
	c, err := s.Store.ClaimDue(ctx, limit, lease)
	if ctx.Err() != nil { // shutting down, not failing
		return c, err
	}
	return c, s.count("claim_due", err)
}

func (s countingStore) Settle(ctx context.Context, c bot.Claim, fn func(*bot.User, bool) error) error {
	return s.count("settle", s.Store.Settle(ctx, c, fn))
}

func (s countingStore) Forget(ctx context.Context, id bot.UserID) error {
	return s.count("forget", s.Store.Forget(ctx, id))
}

func (s countingStore) Ping(ctx context.Context) error {
	return s.count("ping", s.Store.Ping(ctx))
}
