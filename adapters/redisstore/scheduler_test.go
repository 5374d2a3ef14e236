package redisstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestReplicasSendOnceWithShortLease runs the real scheduler on two
// replicas sharing one Redis (each its own client), with a lease shorter
// than one replica's batch of sends takes, one send at a time. Every user
// gets exactly one DM: a claim whose lease ran out, or would before its
// send could finish, is left to the other replica instead of being sent
// by both. Before, about a third of the users got two.
func TestReplicasSendOnceWithShortLease(t *testing.T) {
	tg := single(t)
	const users = 30
	m := &bottest.Messenger{Took: 100 * time.Millisecond}
	var replicas []*bottest.Harness
	for range 2 {
		h := bottest.New(t, bottest.WithStore(tg.open(t)), bottest.WithConfig(func(c *bot.Config) {
			c.Clock = bot.SystemClock{} // Redis runs the leases on its own clock
			c.Reminders = bot.SchedulerConfig{
				Interval: 20 * time.Millisecond, Batch: users, Workers: 1,
				Lease: 2 * time.Second, SendTimeout: time.Second,
			}
		}))
		h.SetMessenger("test", m)
		replicas = append(replicas, h)
	}
	s := tg.open(t)
	due := time.Now().Add(-time.Second)
	for i := range users {
		id := bot.UserID(fmt.Sprintf("test:%d", i))
		r := bot.Reminder{User: id, Kind: bot.Once, Zone: "UTC", Next: due, Created: due}
		if _, err := s.UpdateUser(ctxb, id, func(u *bot.User) error { u.SetReminder(r); return nil }); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(ctxb)
	defer cancel()
	var wg sync.WaitGroup
	for _, h := range replicas {
		wg.Go(func() { h.RunReminders(ctx) })
	}
	// Until every reminder was acked (no user keeps one); then the
	// replicas stop, letting any send still under way finish.
	deadline := time.Now().Add(bottest.WaitLimit)
	for left := users; left > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		left = 0
		for i := range users {
			u, err := s.User(ctxb, bot.UserID(fmt.Sprintf("test:%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			left += len(u.Reminders)
		}
	}
	cancel()
	wg.Wait()

	sent := m.Delivered()
	twice := 0
	for i := range users {
		id := bot.UserID(fmt.Sprintf("test:%d", i))
		switch n := sent[id]; {
		case n == 0:
			t.Errorf("%s got no DM", id)
		case n > 1:
			twice++
			t.Errorf("%s got %d DMs", id, n)
		}
	}
	t.Logf("%d users, 2 replicas, lease 2s, 100 ms sends one at a time: %d reached, %d twice", users, len(sent), twice)
}
