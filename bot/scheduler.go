package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// SchedulerConfig tunes reminder delivery. Zero fields take the defaults.
type SchedulerConfig struct {
	Interval    time.Duration // how often to look for due reminders (1s)
	Batch       int           // claims per look (100)
	Lease       time.Duration // how long a claim is ours before others may take it (1m)
	Grace       time.Duration // an occurrence older than this is skipped, not sent late (3h)
	MaxAttempts int           // failed sends of one occurrence before it is dropped (6)
	// SendTimeout bounds one platform send (10s, and at most half the
	// lease, so that a fresh claim always has time for its send).
	SendTimeout time.Duration
	Workers     int // sends in parallel (8)
	// ShutdownGrace is how long sends already under way may run on after
	// the scheduler is told to stop; claims not sent by then are released
	// for another replica (3s, so a process stops within 5s of SIGTERM).
	ShutdownGrace time.Duration
	// OnDelivery, when set, is told the outcome of every claimed occurrence
	// ("sent", "skipped", "late", "duplicate", "retry", "paused",
	// "dropped", "released", "expired") and its lag behind the due time. The metrics
	// hang here.
	OnDelivery func(outcome string, lag time.Duration)
}

func (c SchedulerConfig) withDefaults() SchedulerConfig {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.Grace <= 0 {
		c.Grace = 3 * time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 6
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 10 * time.Second
	}
	c.SendTimeout = min(c.SendTimeout, c.Lease/2)
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 3 * time.Second
	}
	return c
}

// DeliveryStats counts what one DeliverDue pass did.
type DeliveryStats struct {
	Claimed, Sent, Late, Duplicate, Retried, Paused, Dropped, Released int
	// Skipped counts daily reminders not sent because the user had
	// already checked in that local day.
	Skipped int
	// Expired counts claims not sent because their lease had run out, or
	// would have before the send could finish, by the time a worker got
	// to them: they are left for the next claim, and are not attempts.
	Expired int
}

// ackMargin is the part of a lease kept free after a send's SendTimeout,
// for the ack that follows it: a claim is sent only while at least
// SendTimeout plus this much of its lease is left, so that the ack (or at
// least the occurrence marker of a late one) is written before another
// replica can claim the occurrence again.
func (c SchedulerConfig) ackMargin() time.Duration { return c.Lease / 10 }

// maxClaimBackoff caps the pause between failed claims. A failed claim
// costs one bounded store call, so the pause only spares the log; capped
// low, delivery resumes within seconds once the store is back (a cap of a
// minute once left reminders waiting most of a minute after Redis came
// back, which TestRedisKilledAndRestarted caught now and then).
const maxClaimBackoff = 8 * time.Second

// RunReminders delivers due reminders until ctx is cancelled. Every replica
// may run it: claims are leased by the store, so each occurrence goes to
// one replica. On cancellation it stops claiming and lets sends already
// under way finish (bounded by SendTimeout), so a shutdown loses nothing.
func (b *Bot) RunReminders(ctx context.Context) error {
	wait := b.sched.Interval
	for {
		st, err := b.DeliverDue(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			b.log.Error("claim due reminders", "err", err)
			wait = min(wait*2, maxClaimBackoff) // the store is struggling: back off
		case st.Claimed == b.sched.Batch:
			continue // more are waiting
		default:
			wait = b.sched.Interval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// DeliverDue claims one batch of due reminders and delivers them. When ctx
// ends, sends under way get ShutdownGrace to finish and claims not yet sent
// are released at once, so a stopping replica neither cuts a message in
// half nor sits on claims until their lease runs out.
func (b *Bot) DeliverDue(ctx context.Context) (DeliveryStats, error) {
	// The leases run on the store's clock, which may differ from ours:
	// what we know is how long each lease is, and that it began after
	// this moment. Reading our clock before the call keeps the estimate
	// of when each lease ends on the early side.
	asked := b.clock.Now()
	claims, err := b.store.ClaimDue(ctx, b.sched.Batch, b.sched.Lease)
	if err != nil {
		return DeliveryStats{}, err
	}
	st := DeliveryStats{Claimed: len(claims)}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, b.sched.Workers)
	)
	// Store calls outlive ctx (each is bounded by the store's own
	// timeouts); sends are cut ShutdownGrace after ctx ends.
	storeCtx := context.WithoutCancel(ctx)
	sendCtx, cancelSends := context.WithCancel(storeCtx)
	defer cancelSends()
	go func() { // ends when DeliverDue returns and cancels sendCtx
		select {
		case <-ctx.Done():
		case <-sendCtx.Done():
			return
		}
		grace := time.NewTimer(b.sched.ShutdownGrace)
		defer grace.Stop()
		select {
		case <-grace.C:
			cancelSends()
		case <-sendCtx.Done():
		}
	}()
	count := func(outcome string) {
		mu.Lock()
		defer mu.Unlock()
		switch outcome {
		case "sent":
			st.Sent++
		case "skipped":
			st.Skipped++
		case "late":
			st.Late++
		case "duplicate":
			st.Duplicate++
		case "retry":
			st.Retried++
		case "paused":
			st.Paused++
		case "dropped":
			st.Dropped++
		case "released":
			st.Released++
		case "expired":
			st.Expired++
		}
	}
	for _, c := range claims {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			// Never started, so deliver's bookkeeping did not run: count it
			// here, or the released metric misses these claims.
			count(b.release(storeCtx, c))
			if b.sched.OnDelivery != nil {
				b.sched.OnDelivery("released", c.Now.Sub(c.Due))
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			count(b.deliver(storeCtx, sendCtx, c, asked.Add(c.LeaseUntil.Sub(c.Now))))
		})
	}
	wg.Wait()
	return st, nil
}

// release gives an unsent claim back at once, for another replica.
func (b *Bot) release(ctx context.Context, c Claim) string {
	if err := Release(ctx, b.store, c); err != nil && !errors.Is(err, ErrStaleClaim) {
		b.log.Error("release reminder claim", "user", HashUser(c.Reminder.User), "err", err)
	}
	return "released"
}

// deliver handles one claim and returns its outcome. Store calls use ctx;
// the platform send uses sendCtx, which a shutdown cuts short. leaseEnd is
// when the claim's lease ends at the latest, on our clock.
func (b *Bot) deliver(ctx, sendCtx context.Context, c Claim, leaseEnd time.Time) (outcome string) {
	r := c.Reminder
	log := b.log.With("user", HashUser(r.User), "kind", string(r.Kind), "due", c.Due)
	defer func() {
		lag := c.Now.Sub(c.Due)
		if outcome == "sent" {
			lag = max(b.clock.Now().Sub(c.Due), lag)
		}
		level := slog.LevelInfo
		if outcome == "dropped" || outcome == "paused" {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "reminder", "outcome", outcome, "lag", lag.Round(time.Millisecond), "attempts", r.Attempts)
		if b.sched.OnDelivery != nil {
			b.sched.OnDelivery(outcome, lag)
		}
	}()

	switch {
	case c.Delivered:
		// A claimer before us sent this occurrence and then lost its lease:
		// move on without sending it twice.
		return b.finish(ctx, log, c, "duplicate")
	case c.Now.Sub(c.Due) > b.sched.Grace:
		// After downtime a stale reminder helps nobody; the next one will.
		return b.finish(ctx, log, c, "late")
	}

	// The daily DM asks the learner to study today; after they checked
	// in it would only nag. The occurrence is done all the same.
	if r.Kind == Daily && c.User.Streak.Last == b.todayDate(c.User, b.clock.Now()) {
		return b.finish(ctx, log, c, "skipped")
	}

	// A claim waits for a worker, behind the sends before it in its batch.
	// Once its lease has run out another replica may have claimed the
	// occurrence again, and sending it would be a second delivery; so is
	// a send that cannot finish, with its ack, inside the lease.
	if left := leaseEnd.Sub(b.clock.Now()); left < b.sched.SendTimeout+b.sched.ackMargin() {
		return b.expire(ctx, log, c, left)
	}

	m := b.messenger(r.User.Platform())
	if m == nil {
		return b.retry(ctx, log, c, 0, fmt.Errorf("no messenger for platform %q", r.User.Platform()))
	}
	// The claim carries the record as claimed: a delivery reads nothing more.
	sctx, cancel := context.WithTimeout(sendCtx, b.sched.SendTimeout)
	err := m.SendDM(sctx, r.User, b.reminderReply(c.User, r, b.clock.Now()))
	cancel()

	var de *DeliveryError
	switch {
	case err == nil:
		return b.finish(ctx, log, c, "sent")
	case sendCtx.Err() != nil:
		// Shutting down: the send was cut short, so another replica sends it.
		return b.release(ctx, c)
	case errors.As(err, &de) && de.Permanent:
		return b.pause(ctx, log, c, de)
	case errors.As(err, &de) && de.RetryAfter > 0:
		return b.retry(ctx, log, c, de.RetryAfter, err)
	default:
		return b.retry(ctx, log, c, 0, err)
	}
}

// expire gives back a claim whose lease is (nearly) over without sending
// it. While the lease still holds, Release hands it to the next claim at
// once; after, the release is refused as stale and the store gives the
// occurrence to whoever claims it next. Either way it is not an attempt.
func (b *Bot) expire(ctx context.Context, log *slog.Logger, c Claim, left time.Duration) string {
	log.Warn("reminder claim not sent: its lease ran out, or would before the send could finish; more Workers or a longer lease would help",
		"lease_left", left.Round(time.Millisecond))
	if err := Release(ctx, b.store, c); err != nil && !errors.Is(err, ErrStaleClaim) {
		log.Error("release reminder claim", "err", err)
	}
	return "expired"
}

// finish acks the occurrence and schedules the next one.
func (b *Bot) finish(ctx context.Context, log *slog.Logger, c Claim, outcome string) string {
	if err := Ack(ctx, b.store, c, b.nextOccurrence(c)); err != nil {
		if errors.Is(err, ErrStaleClaim) {
			log.Warn("reminder ack refused: the lease was lost or the user changed the reminder", "err", err)
		} else {
			// The lease will expire and another pass will see the marker (if
			// it was written) or send again: at least once, never lost.
			log.Error("reminder ack", "err", err)
		}
	}
	return outcome
}

// nextOccurrence returns what the reminder becomes after c: the next daily
// occurrence strictly after both the due time and now, so that at most one
// late reminder follows downtime, or nil for a one-off.
func (b *Bot) nextOccurrence(c Claim) *Reminder {
	r := c.Reminder
	if r.Kind != Daily && r.Kind != Weekly {
		return nil
	}
	hour, minute, err := ParseClock(r.At)
	if err != nil { // cannot happen for a reminder we wrote; do not loop on it
		return nil
	}
	loc, err := LoadZone(r.Zone)
	if err != nil {
		loc = time.UTC
	}
	r.Next = NextDaily(latest(c.Due, c.Now), hour, minute, loc, r.Days)
	r.Attempts = 0
	return &r
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// retry gives the claim back for a later attempt, or drops the occurrence
// after MaxAttempts (the daily reminder carries on with its next one).
func (b *Bot) retry(ctx context.Context, log *slog.Logger, c Claim, after time.Duration, cause error) string {
	if c.Reminder.Attempts+1 >= b.sched.MaxAttempts {
		log.Error("reminder dropped after repeated failures", "err", cause)
		if dl := b.deadLetters; dl != nil {
			dead := c
			dead.Reminder.Attempts++ // this failure included
			if err := dl.DeadLetter(ctx, dead, truncate(cause.Error(), maxDeadReason)); err != nil {
				log.Error("reminder dead letter", "err", err)
			}
		}
		b.finish(ctx, log, c, "dropped")
		return "dropped"
	}
	if after <= 0 {
		after = 30 * time.Second << c.Reminder.Attempts // 30s, 1m, 2m, 4m, ...
		after = min(after, 10*time.Minute)
	}
	log.Warn("reminder send failed, will retry", "after", after, "err", cause)
	if err := Retry(ctx, b.store, c, c.Now.Add(after)); err != nil && !errors.Is(err, ErrStaleClaim) {
		log.Error("reminder retry", "err", err)
	}
	return "retry"
}

// maxDeadReason bounds the reason a dead letter keeps, in bytes.
const maxDeadReason = 200

// truncate shortens s to at most n bytes, cutting at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// pause stops a reminder the platform will never deliver, and leaves the
// user a notice that their next command shows.
func (b *Bot) pause(ctx context.Context, log *slog.Logger, c Claim, de *DeliveryError) string {
	reason := de.Reason
	if reason == "" {
		reason = "I can't send you direct messages"
	}
	notice := fmt.Sprintf("I couldn't send you a study reminder because %s. Your reminders are paused; once that's fixed, set one again with **remind daily HH:MM**.",
		strings.TrimSuffix(reason, "."))
	kind := c.Reminder.Kind
	// One write pauses the reminder and leaves the notice, so neither can
	// happen without the other.
	err := b.store.Settle(ctx, c, func(u *User, held bool) error {
		r, ok := u.Reminder(kind)
		if !held || !ok || !sameReminder(r, c.Reminder) {
			return nil
		}
		if kind != Once {
			r.Paused, r.Attempts, r.RetryAt = reason, 0, time.Time{}
			u.SetReminder(r)
		} else {
			u.DeleteReminder(kind)
		}
		u.Notice = notice
		return nil
	})
	if err != nil {
		log.Error("pause reminder", "err", err)
	}
	log.Warn("reminders paused: recipient unreachable", "err", de.Err)
	return "paused"
}

// reminderReply is the DM a reminder sends. The daily one (and a one-off)
// is today's reply (DESIGN §4), so it moves on as the learner does, with
// the streak line and buttons to check in, snooze or stop; the weekly one
// is the digest, with the progress card (DESIGN §11).
func (b *Bot) reminderReply(u User, r Reminder, now time.Time) Reply {
	if r.Kind == Weekly {
		reply := b.digestReply(u, now)
		reply.Card = b.card(u, now)
		reply.Buttons = append(reply.Buttons, Button{Label: "Stop the weekly digest", Command: "remind off weekly", Style: Danger})
		reply.Footer = fmt.Sprintf("Weekly on %s at %s (%s).", weekdayName(r.Days), r.At, r.Zone)
		return reply
	}
	reply := b.todayReply(u, now, 0)
	reply.Title = "⏰ " + reply.Title
	reply.Text += "\n\n" + b.streakLine(u, now)
	var buttons []Button
	if len(reply.Buttons) > 0 && strings.HasPrefix(reply.Buttons[0].Command, "roadmap done ") {
		done := reply.Buttons[0]
		done.Label, done.Style = "Topic done ✅", Secondary
		buttons = append(buttons, done)
	}
	buttons = append(buttons,
		Button{Label: "Check in", Command: "checkin", Style: Primary},
		Button{Label: "Snooze 1 hour", Command: "remind snooze 1h"},
	)
	if slices.ContainsFunc(reply.Buttons, func(b Button) bool { return b.Command == "review" }) {
		buttons = append(buttons, Button{Label: "Review", Command: "review"}) // withDue: questions due
	}
	if r.Kind == Daily {
		buttons = append(buttons, Button{Label: "Stop daily reminder", Command: "remind off daily", Style: Danger})
		// "Every day at 19:00", as remind status says it, not "Daily at 19:00 every day".
		reply.Footer = fmt.Sprintf("%s at %s (%s).", upperFirst(daysPhrase(r.Days)), r.At, r.Zone)
	}
	reply.Buttons = buttons
	return reply
}

// streakLine says where the user's streak stands before today's check-in:
// at risk when it is 2 days or more and today has none yet (it ends at
// midnight), lost when yesterday had none.
func (b *Bot) streakLine(u User, now time.Time) string {
	today, yesterday := b.localDates(u, now)
	switch {
	case u.Streak.Last == today:
		return fmt.Sprintf("You checked in today already ✅ Your streak: **%s**.", days(u.Streak.Current))
	case u.Streak.Last == yesterday && u.Streak.Current >= 2:
		return fmt.Sprintf("🔥 Your **%d-day streak** is at risk today: check in before midnight to keep it.", u.Streak.Current)
	case u.Streak.Last == yesterday:
		return fmt.Sprintf("Your streak: **%s**. Check in when you're done to keep it going.", days(u.Streak.Current))
	case u.Streak.Current >= 2:
		return fmt.Sprintf("You missed a day, so your %d-day streak ended. Check in today to start a new one (your best is %s).", u.Streak.Current, days(u.Streak.Best))
	}
	return "Check in when you're done to start a streak."
}
