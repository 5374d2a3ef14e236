package boltstore

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
)

// BenchmarkBaselineUpdate is the floor the store's writes stand on: one bare
// bbolt write transaction with a small Put, which is dominated by the fsync
// of the commit. Report the other benchmarks as ratios to it.
func BenchmarkBaselineUpdate(b *testing.B) {
	s := openTemp(b)
	value := make([]byte, 200)
	for b.Loop() {
		err := s.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put([]byte("bench"), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// typical is a user as most are: some steps, a streak, a daily reminder.
func typical(id bot.UserID, next time.Time) func(*bot.User) error {
	return func(u *bot.User) error {
		u.Streak.Days++
		u.Done = []string{"internet", "os-basics", "git"}
		u.Zone, u.DMChannel = "Asia/Kolkata", "1180000000000000001"
		u.SetReminder(bot.Reminder{Kind: bot.Daily, At: "09:00", Zone: "Asia/Kolkata", Days: bot.WorkDays, Next: next, Created: next})
		return nil
	}
}

// BenchmarkUpdateUser is a command's write: read, change, encode, write
// the record, with a reminder whose slot does not move (no index change).
func BenchmarkUpdateUser(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	id := bot.SlackUser("T1", "U1")
	fn := typical(id, time.Now().Add(time.Hour).Truncate(time.Millisecond))
	for b.Loop() {
		if _, err := s.UpdateUser(ctx, id, fn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUser is a command's read: a View and a decode.
func BenchmarkUser(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	id := bot.SlackUser("T1", "U1")
	if _, err := s.UpdateUser(ctx, id, typical(id, time.Now().Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.User(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimAck is one delivery's store work: claim one due reminder and
// ack it with its next occurrence, which is kept in the past (each a
// millisecond later) so that every iteration finds it due again. Two
// commits, against the baseline's one.
func BenchmarkClaimAck(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	id := bot.DiscordUser("1")
	if _, err := s.UpdateUser(ctx, id, typical(id, time.Now().Add(-24*time.Hour))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cs, err := s.ClaimDue(ctx, 1, time.Minute)
		if err != nil || len(cs) != 1 {
			b.Fatalf("ClaimDue = %v, %v", cs, err)
		}
		next := cs[0].Reminder
		next.Next = next.Next.Add(time.Millisecond)
		if err := bot.Ack(ctx, s, cs[0], &next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimDueIdle is the scheduler's poll when nothing is due, the
// common case: it must not pay for a write commit.
func BenchmarkClaimDueIdle(b *testing.B) {
	s := openTemp(b)
	ctx := b.Context()
	id := bot.DiscordUser("1")
	if _, err := s.UpdateUser(ctx, id, typical(id, time.Now().Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if cs, err := s.ClaimDue(ctx, 10, time.Minute); err != nil || len(cs) != 0 {
			b.Fatalf("ClaimDue = %v, %v", cs, err)
		}
	}
}

// BenchmarkMigrateV1 is the one-off cost, at the first start of this
// release, of Open on a layout 1 file of 10,000 users, each with a user
// record and a daily reminder: how long that start takes.
func BenchmarkMigrateV1(b *testing.B) {
	const users = 10_000
	next := time.Date(2026, 12, 21, 2, 0, 0, 0, time.UTC)
	var us []v1User
	var rs []v1Reminder
	for i := range users {
		id := fmt.Sprintf("discord:%018d", i)
		us = append(us, v1User{ID: id, Done: []string{"internet", "os-basics", "git"}, Zone: "Asia/Kolkata",
			Streak: v1Streak{Last: "2026-12-03", Current: 3, Best: 5, Days: 9}, Created: next, Updated: next})
		rs = append(rs, v1Reminder{User: id, Kind: "daily", At: "07:30", Zone: "Asia/Kolkata", Days: 62, Next: next,
			Created: next, Scheduled: true, SchedMS: next.UnixMilli()})
	}
	src := filepath.Join(b.TempDir(), "v1.db")
	writeV1(b, src, us, rs)
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(users, "users/op")
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), fmt.Sprint(i, ".db"))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
