package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

func reminders(t *testing.T, h *bottest.Harness, id bot.UserID) []bot.Reminder {
	t.Helper()
	rems, err := h.Store.Reminders(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rems
}

func TestRemindInDelivers(t *testing.T) {
	h := bottest.New(t)
	h.Say("roadmap done 1")
	wantContains(t, h.Say("remind in 1m"), "in 1 minute")

	h.Clock.Advance(59 * time.Second)
	if st := h.Deliver(t); st.Claimed != 0 || len(h.Messenger.DMs()) != 0 {
		t.Fatalf("delivered early: %+v", st)
	}
	h.Clock.Advance(time.Second)
	if st := h.Deliver(t); st != (bot.DeliveryStats{Claimed: 1, Sent: 1}) {
		t.Fatalf("stats = %+v, want one sent", st)
	}
	dms := h.Messenger.DMs()
	if len(dms) != 1 || dms[0].To != h.User {
		t.Fatalf("DMs = %+v", dms)
	}
	r := dms[0].Reply
	wantContains(t, r, "⏰ Today: 2.1 ", "Step 2: Databases", "Today's read")
	if diff := cmp.Diff([]string{"roadmap done 2.1", "checkin", "remind snooze 1h"}, commands(r)); diff != "" {
		t.Errorf("reminder buttons (-want +got):\n%s", diff)
	}
	// A one-off reminder is gone once sent.
	if rems := reminders(t, h, h.User); len(rems) != 0 {
		t.Errorf("one-off reminder kept after delivery: %v", rems)
	}
	h.Clock.Advance(time.Hour)
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Errorf("sent twice: %+v", st)
	}
}

func TestReminderButtonsWork(t *testing.T) {
	h := bottest.New(t)
	h.Say("remind daily 10:30 UTC")
	h.Clock.Advance(30 * time.Minute)
	h.Deliver(t)
	dm := h.Messenger.DMs()[0].Reply

	// Each button dispatches its command line as the user who pressed it.
	if diff := cmp.Diff([]string{"roadmap done 1.1", "checkin", "remind snooze 1h", "remind off daily"}, commands(dm)); diff != "" {
		t.Errorf("daily DM buttons (-want +got):\n%s", diff)
	}
	wantContains(t, h.Say(dm.Buttons[1].Command), "Checked in")
	wantContains(t, h.Say(dm.Buttons[2].Command), "Snoozed", "in 1 hour", "today at 11:30")
	h.Clock.Advance(time.Hour)
	if st := h.Deliver(t); st.Sent != 1 {
		t.Errorf("snoozed reminder: %+v, want sent", st)
	}
	wantContains(t, h.Messenger.DMs()[1].Reply, "Your streak: **1 day**")
	wantContains(t, h.Say(dm.Buttons[3].Command), "Stopped", "daily reminder")
	if rems := reminders(t, h, h.User); len(rems) != 0 {
		t.Errorf("stop left %v", rems)
	}
}

func TestDailyReminderKeepsLocalTime(t *testing.T) {
	// Start on Friday 6 March 2026 in New York; DST begins on Sunday 8 March.
	h := bottest.New(t)
	h.Clock.Set(time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC))
	h.Say("remind daily 09:00 America/New_York")

	var got []string
	for range 4 {
		rems := reminders(t, h, h.User)
		h.Clock.Set(rems[0].Next)
		if st := h.Deliver(t); st.Sent != 1 {
			t.Fatalf("at %v: %+v", rems[0].Next, st)
		}
		got = append(got, rems[0].Next.Format(time.RFC3339))
	}
	want := []string{
		"2026-03-06T14:00:00Z", // Friday 09:00 EST
		"2026-03-07T14:00:00Z", // Saturday 09:00 EST
		"2026-03-08T13:00:00Z", // Sunday 09:00 EDT: the wall clock is kept
		"2026-03-09T13:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fire times (-want +got):\n%s", diff)
	}
}

func TestDowntime(t *testing.T) {
	tests := []struct {
		name     string
		down     time.Duration // how long after the due time the scheduler runs again
		wantSent int
		wantLate int
	}{
		{"a minute late: sent", time.Minute, 1, 0},
		{"two hours late: sent once", 2 * time.Hour, 1, 0},
		{"beyond the grace period: skipped", 4 * time.Hour, 0, 1},
		{"three days down: nothing old is sent", 3*24*time.Hour + 5*time.Hour, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			h.Say("remind daily 11:00 UTC") // due 11:00 today
			h.Clock.Set(time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC).Add(tt.down))

			st := h.Deliver(t)
			if st.Sent != tt.wantSent || st.Late != tt.wantLate {
				t.Errorf("stats = %+v, want %d sent and %d late", st, tt.wantSent, tt.wantLate)
			}
			// However long the downtime, the next occurrence is in the future:
			// a second pass sends nothing (no flood of missed days).
			next := reminders(t, h, h.User)[0].Next
			if !next.After(h.Clock.Now()) || next.Hour() != 11 {
				t.Errorf("next = %v, want a future 11:00", next)
			}
			if st := h.Deliver(t); st.Claimed != 0 {
				t.Errorf("second pass: %+v", st)
			}
		})
	}
}

func TestClosedDMsPauseReminders(t *testing.T) {
	h := bottest.New(t)
	h.Messenger.Fail = func(bot.UserID, int) error {
		return &bot.DeliveryError{Permanent: true, Reason: "your direct messages are closed", Err: errors.New("discord 50007")}
	}
	h.Say("remind daily 10:30 UTC")
	h.Say("remind in 10m")
	h.Clock.Advance(30 * time.Minute)
	if st := h.Deliver(t); st.Paused != 2 {
		t.Fatalf("stats = %+v, want both paused", st)
	}

	rems := reminders(t, h, h.User)
	if len(rems) != 1 || rems[0].Kind != bot.Daily || rems[0].Paused != "your direct messages are closed" {
		t.Fatalf("reminders = %+v, want the daily one kept and paused, the one-off gone", rems)
	}
	// Paused reminders are not retried.
	h.Clock.Advance(48 * time.Hour)
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Errorf("a paused reminder was claimed: %+v", st)
	}
	// The next command says why, once.
	wantContains(t, h.Say("roadmap next"), "couldn't send you a study reminder because your direct messages are closed", "remind daily HH:MM")
	if r := h.Say("roadmap next"); strings.Contains(r.Text, "couldn't send") {
		t.Errorf("the notice was shown twice")
	}
	wantContains(t, h.Say("remind status"), "paused, because your direct messages are closed")

	// Setting the reminder again resumes it.
	h.Messenger.Fail = nil
	h.Say("remind daily 10:30 UTC")
	h.Clock.Advance(24 * time.Hour)
	if st := h.Deliver(t); st.Sent != 1 {
		t.Errorf("after resuming: %+v", st)
	}
}

func TestRateLimitIsHonoured(t *testing.T) {
	h := bottest.New(t)
	h.Messenger.Fail = func(_ bot.UserID, attempt int) error {
		if attempt == 1 {
			return &bot.DeliveryError{RetryAfter: 90 * time.Second, Err: errors.New("429")}
		}
		return nil
	}
	h.Say("remind in 5m")
	h.Clock.Advance(5 * time.Minute)
	if st := h.Deliver(t); st.Retried != 1 {
		t.Fatalf("stats = %+v, want a retry", st)
	}
	h.Clock.Advance(89 * time.Second)
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Fatalf("retried before Retry-After: %+v", st)
	}
	h.Clock.Advance(time.Second)
	if st := h.Deliver(t); st.Sent != 1 {
		t.Fatalf("stats = %+v, want sent after Retry-After", st)
	}
}

func TestFailingSendsBackOffThenDrop(t *testing.T) {
	var delivered []string
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.Reminders.OnDelivery = func(outcome string, _ time.Duration) { delivered = append(delivered, outcome) }
	}))
	h.Messenger.Fail = func(bot.UserID, int) error { return errors.New("connection reset") }
	h.Say("remind daily 10:30 UTC")
	h.Clock.Set(time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC))

	// Backoff doubles from 30 s; after 6 attempts the occurrence is dropped
	// and the daily reminder moves on to tomorrow.
	for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		if st := h.Deliver(t); st.Retried != 1 {
			t.Fatalf("attempt %d: %+v, want a retry", i+1, st)
		}
		h.Clock.Advance(wait - time.Second)
		if st := h.Deliver(t); st.Claimed != 0 {
			t.Fatalf("attempt %d retried before its %v backoff: %+v", i+1, wait, st)
		}
		h.Clock.Advance(time.Second)
	}
	if st := h.Deliver(t); st.Dropped != 1 {
		t.Fatalf("sixth attempt: %+v, want dropped", st)
	}
	if next := reminders(t, h, h.User)[0].Next; !next.Equal(time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("after dropping, next = %v, want tomorrow 10:30", next)
	}
	if diff := cmp.Diff([]string{"retry", "retry", "retry", "retry", "retry", "dropped"}, delivered); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if rems := reminders(t, h, h.User); rems[0].Attempts != 0 {
		t.Errorf("attempts carried over to the next occurrence: %+v", rems[0])
	}
	dead := h.Store.DeadLettered()
	if len(dead) != 1 {
		t.Fatalf("dead letters = %+v, want exactly one", dead)
	}
	if d := dead[0]; d.Claim.Reminder.User != h.User || d.Claim.Reminder.Kind != bot.Daily ||
		!d.Claim.Due.Equal(time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)) ||
		d.Claim.Reminder.Attempts != 6 || !strings.Contains(d.Reason, "connection reset") {
		t.Errorf("dead letter = %+v, want today's daily reminder after 6 attempts, connection reset", d)
	}
	// Tomorrow the platform works again.
	h.Messenger.Fail = nil
	h.Clock.Set(time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC))
	if st := h.Deliver(t); st.Sent != 1 {
		t.Errorf("next day: %+v", st)
	}
}

func TestNoMessengerRetries(t *testing.T) {
	h := bottest.New(t)
	h.SayAs("nowhere:1", "remind in 1m")
	h.Clock.Advance(time.Minute)
	if st := h.Deliver(t); st.Retried != 1 {
		t.Errorf("stats = %+v, want a retry for a platform this replica cannot reach", st)
	}
}

// TestReplicasShareOneStore runs three bots on one store, as replicas do:
// every occurrence is sent exactly once.
func TestReplicasShareOneStore(t *testing.T) {
	clock := bottest.NewClock(bottest.Start)
	store := bottest.NewMemStore(clock)
	var (
		mu   sync.Mutex
		sent = map[bot.UserID]int{}
	)
	var replicas []*bottest.Harness
	for range 3 {
		h := bottest.New(t, bottest.WithStore(store), bottest.WithConfig(func(c *bot.Config) {
			c.Clock = clock
			c.Reminders.Batch = 7
		}))
		h.Messenger.Fail = func(to bot.UserID, _ int) error {
			mu.Lock()
			defer mu.Unlock()
			sent[to]++
			return nil
		}
		replicas = append(replicas, h)
	}
	const users = 300
	for i := range users {
		id := bot.UserID(fmt.Sprintf("test:%d", i))
		replicas[i%3].SayAs(id, "remind daily 10:30 UTC")
	}
	clock.Set(time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC))

	var wg sync.WaitGroup
	for _, h := range replicas {
		wg.Go(func() {
			for {
				st, err := h.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if st.Claimed == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(sent) != users {
		t.Errorf("%d users got a reminder, want %d", len(sent), users)
	}
	for id, n := range sent {
		if n != 1 {
			t.Errorf("%s got %d reminders", id, n)
		}
	}
}

// crashingStore loses the ack of one claim, like a replica that dies
// between sending and acknowledging.
type crashingStore struct {
	*bottest.MemStore
	crashed bool
}

func (s *crashingStore) Settle(ctx context.Context, c bot.Claim, fn func(*bot.User, bool) error) error {
	if !s.crashed {
		s.crashed = true
		return errors.New("replica died")
	}
	return s.MemStore.Settle(ctx, c, fn)
}

func TestLostAckIsRedeliveredAfterTheLease(t *testing.T) {
	h := bottest.New(t)
	crashing := &crashingStore{MemStore: h.Store}
	h2 := bottest.New(t, bottest.WithStore(crashing), bottest.WithConfig(func(c *bot.Config) { c.Clock = h.Clock }))
	h2.Messenger = h.Messenger
	h2.SetMessenger("test", h.Messenger)

	h.Say("remind daily 10:30 UTC")
	h.Clock.Set(time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC))
	if st := h2.Deliver(t); st.Sent != 1 {
		t.Fatalf("first replica: %+v", st)
	}
	// Within the lease nobody else takes it.
	if st := h.Deliver(t); st.Claimed != 0 {
		t.Fatalf("claimed during the lease: %+v", st)
	}
	// After the lease, a healthy replica delivers it (at least once).
	h.Clock.Advance(time.Minute + time.Second)
	if st := h.Deliver(t); st.Sent != 1 {
		t.Fatalf("after the lease: %+v", st)
	}
	if n := len(h.Messenger.DMs()); n != 2 {
		t.Errorf("%d DMs, want 2 (the lost ack means at-least-once)", n)
	}
	if next := reminders(t, h, h.User)[0].Next; !next.Equal(time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("next = %v, want tomorrow", next)
	}
}

// TestDeliveredMarkerPreventsRepeat covers a replica that sent and acked too
// late: its ack is refused, but the occurrence marker stops the next claimer
// from sending it again.
func TestDeliveredMarkerPreventsRepeat(t *testing.T) {
	h := bottest.New(t)
	h.Say("remind daily 10:30 UTC")
	h.Clock.Set(time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC))
	ctx := context.Background()

	claims, err := h.Store.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claims) != 1 {
		t.Fatalf("ClaimDue = %v, %v", claims, err)
	}
	h.Clock.Advance(2 * time.Minute) // the slow replica's lease runs out
	if err := bot.Ack(ctx, h.Store, claims[0], nil); !errors.Is(err, bot.ErrStaleClaim) {
		t.Fatalf("late ack = %v, want ErrStaleClaim", err)
	}
	if st := h.Deliver(t); st.Duplicate != 1 || st.Sent != 0 {
		t.Errorf("stats = %+v, want the duplicate skipped", st)
	}
	if len(h.Messenger.DMs()) != 0 {
		t.Error("the occurrence was sent again")
	}
	if next := reminders(t, h, h.User)[0].Next; !next.Equal(time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("next = %v, want tomorrow", next)
	}
}

func TestRunRemindersStops(t *testing.T) {
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) { c.Reminders.Interval = time.Millisecond }))
	h.Say("remind in 1m")
	h.Clock.Advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.RunReminders(ctx) }()
	deadline := time.After(10 * time.Second)
	for len(h.Messenger.DMs()) == 0 {
		select {
		case <-deadline:
			t.Fatal("RunReminders did not deliver")
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunReminders = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunReminders did not stop")
	}
}

// blockingMessenger holds every send until its context ends, like a
// platform that hangs while the replica is told to stop.
type blockingMessenger struct{ started chan struct{} }

func (m blockingMessenger) SendDM(ctx context.Context, _ bot.UserID, _ bot.Reply) error {
	m.started <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func TestShutdownReleasesClaims(t *testing.T) {
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.Reminders.Workers = 1
		c.Reminders.ShutdownGrace = 10 * time.Millisecond
	}))
	m := blockingMessenger{started: make(chan struct{}, 1)}
	h.SetMessenger("test", m)
	for _, u := range []bot.UserID{"test:a", "test:b", "test:c"} {
		h.SayAs(u, "remind in 1m")
	}
	h.Clock.Advance(time.Minute)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bot.DeliveryStats)
	go func() {
		st, _ := h.DeliverDue(ctx)
		done <- st
	}()
	<-m.started // one send is under way, two claims wait for the worker
	cancel()
	var st bot.DeliveryStats
	select {
	case st = <-done:
	case <-time.After(bottest.WaitLimit):
		t.Fatal("DeliverDue did not return after shutdown")
	}
	if st != (bot.DeliveryStats{Claimed: 3, Released: 3}) {
		t.Errorf("stats = %+v, want all three released", st)
	}
	// Released claims are claimable at once by another replica, not after
	// their lease.
	claims, err := h.Store.ClaimDue(context.Background(), 10, time.Minute)
	if err != nil || len(claims) != 3 {
		t.Errorf("after shutdown ClaimDue = %d claims, %v; want 3", len(claims), err)
	}
}

// TestLeaseRunsOutInsideABatch: two replicas share a store; one claims a
// batch whose sends, one at a time, outlast the lease. A claim whose lease
// ran out (or would before its send could finish) is not sent: the other
// replica takes it over, and every user gets one DM. Before, the last
// claims of the batch were sent by both.
func TestLeaseRunsOutInsideABatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := bottest.NewMemStore(bot.SystemClock{})
		m := &bottest.Messenger{Took: 2 * time.Second}
		var (
			replicas []*bottest.Harness
			mu       sync.Mutex
			stats    []bot.DeliveryStats
		)
		for range 2 {
			h := bottest.New(t, bottest.WithStore(store), bottest.WithConfig(func(c *bot.Config) {
				c.Clock = bot.SystemClock{} // the bubble's fake time
				c.Reminders = bot.SchedulerConfig{
					Interval: time.Second, Batch: 10, Workers: 1,
					Lease: 10 * time.Second, SendTimeout: 3 * time.Second,
				}
			}))
			h.SetMessenger("test", m)
			replicas = append(replicas, h)
		}
		const users = 10
		for i := range users {
			replicas[0].SayAs(bot.UserID(fmt.Sprintf("test:%d", i)), "remind in 1m")
		}

		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for _, h := range replicas {
			wg.Go(func() {
				for ctx.Err() == nil {
					st, err := h.DeliverDue(ctx)
					if err != nil && ctx.Err() == nil {
						t.Error(err)
					}
					mu.Lock()
					stats = append(stats, st)
					mu.Unlock()
					if st.Claimed == 0 {
						time.Sleep(time.Second)
					}
				}
			})
		}
		time.Sleep(10 * time.Minute)
		cancel()
		wg.Wait()

		var total bot.DeliveryStats
		for _, st := range stats {
			total.Sent += st.Sent
			total.Expired += st.Expired
			total.Duplicate += st.Duplicate
		}
		t.Logf("sent %d, expired %d, duplicate %d", total.Sent, total.Expired, total.Duplicate)
		sent := m.Delivered()
		for i := range users {
			id := bot.UserID(fmt.Sprintf("test:%d", i))
			if n := sent[id]; n != 1 {
				t.Errorf("%s got %d DMs, want 1", id, n)
			}
			if rems, err := store.Reminders(t.Context(), id); err != nil || len(rems) != 0 {
				t.Errorf("%s still has %+v (%v)", id, rems, err)
			}
		}
		if total.Expired == 0 {
			t.Error("no claim expired: the test did not make a lease run out inside a batch")
		}
	})
}

// TestRollingRestartsAreNotAttempts: a reminder whose send is cut short by
// six shutdowns in a row (rolling restarts) is released each time, not
// counted as failed, so its first real failure is retried, not dropped.
func TestRollingRestartsAreNotAttempts(t *testing.T) {
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.Reminders.ShutdownGrace = time.Millisecond
	}))
	h.Say("remind in 1m")
	h.Clock.Advance(time.Minute)
	for i := range 6 {
		m := blockingMessenger{started: make(chan struct{}, 1)}
		h.SetMessenger("test", m)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan bot.DeliveryStats)
		go func() {
			st, _ := h.DeliverDue(ctx)
			done <- st
		}()
		<-m.started
		cancel() // SIGTERM while the send is under way
		if st := <-done; st != (bot.DeliveryStats{Claimed: 1, Released: 1}) {
			t.Fatalf("restart %d: %+v, want the claim released", i+1, st)
		}
	}
	h.SetMessenger("test", h.Messenger)
	h.Messenger.Fail = func(bot.UserID, int) error { return errors.New("platform down") }
	if st := h.Deliver(t); st != (bot.DeliveryStats{Claimed: 1, Retried: 1}) {
		t.Errorf("the first real failure: %+v, want a retry", st)
	}
	if rems := reminders(t, h, h.User); len(rems) != 1 || rems[0].Attempts != 1 {
		t.Errorf("reminders = %+v, want one with 1 attempt", rems)
	}
}

// forgettingMessenger is a platform adapter during whose send the user
// types "forget confirm": it looks up the DM channel as adapters do
// (bot.DMChannel), the user is forgotten while the channel opens, and
// then the send ends with err.
type forgettingMessenger struct {
	h   *bottest.Harness
	err error
}

func (m forgettingMessenger) SendDM(ctx context.Context, to bot.UserID, _ bot.Reply) error {
	_, err := bot.DMChannel(ctx, m.h.Store, to, func(context.Context) (string, error) {
		m.h.SayAs(to, "forget confirm")
		return "D1", nil
	})
	if err != nil {
		return err
	}
	return m.err
}

// TestForgetDuringDelivery: "forget confirm" while a reminder is being
// delivered leaves nothing behind, whatever the delivery does next: ack
// it, retry it, pause it or give up on it. Before, the DM channel cache
// re-created the record, and the ack or pause wrote into it.
func TestForgetDuringDelivery(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		attempts int // failed sends before this one
	}{
		{name: "sent"},
		{name: "failed", err: errors.New("platform down")},
		{name: "closed DMs", err: &bot.DeliveryError{Permanent: true, Err: errors.New("50007")}},
		{name: "given up", err: errors.New("platform down"), attempts: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bottest.New(t)
			h.Say("remind daily 10:30 UTC")
			if tt.attempts > 0 {
				if _, err := h.Store.UpdateUser(context.Background(), h.User, func(u *bot.User) error {
					r, _ := u.Reminder(bot.Daily)
					r.Attempts = tt.attempts
					u.SetReminder(r)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			h.SetMessenger("test", forgettingMessenger{h: h, err: tt.err})
			h.Clock.Set(time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC))
			if st := h.Deliver(t); st.Claimed != 1 {
				t.Fatalf("stats %+v, want one claim", st)
			}
			if u, err := h.Store.User(context.Background(), h.User); err != nil || !u.IsZero() {
				t.Errorf("after the delivery the forgotten user is %+v, %v; want nothing", u, err)
			}
			if dead, err := h.Store.DeadLettersOf(context.Background(), h.User); err != nil || len(dead) != 0 {
				t.Errorf("dead letters %+v, %v; want none", dead, err)
			}
			h.Clock.Advance(48 * time.Hour)
			if st := h.Deliver(t); st.Claimed != 0 {
				t.Errorf("a forgotten user's reminder was claimed: %+v", st)
			}
		})
	}
}
