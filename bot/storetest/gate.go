package storetest

import (
	"context"
	"testing"

	"github.com/coachbot/coachbot/bot"
)

// testGate runs on stores that implement the optional bot.UserGate: one
// call refuses a replay without taking from the user's bucket, takes from
// the bucket, and returns the user's record either way.
func testGate(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	g, ok := s.(bot.UserGate)
	if !ok {
		t.Skip("the store is no bot.UserGate")
	}
	ctx := context.Background()
	id := bot.DiscordUser("700000000000000001")
	if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone, u.Done = "Europe/Paris", []string{"languages"}; return nil }); err != nil {
		t.Fatal(err)
	}
	// Slow enough that no event comes back during the test.
	rate := bot.Rate{PerMinute: 1, Burst: 2}
	admit := func(once string) bot.Admission {
		t.Helper()
		a, err := g.Admit(ctx, id, once, rate)
		if err != nil {
			t.Fatalf("Admit(%q): %v", once, err)
		}
		if !a.Replayed && (a.User.ID != id || a.User.Zone != "Europe/Paris" || len(a.User.Done) != 1) {
			t.Errorf("Admit(%q) returned the user %+v, want the record", once, a.User)
		}
		return a
	}
	steps := []struct {
		once                    string
		allowed, replayed, wait bool
	}{
		{once: "discord:1", allowed: true},
		{once: "discord:1", replayed: true}, // takes nothing from the bucket
		{once: "", allowed: true},           // no key: never a replay
		{once: "discord:2", wait: true},     // the bucket is empty
		{once: "discord:2", replayed: true}, // refused for its rate, still seen
		{once: "", wait: true},
	}
	for i, st := range steps {
		a := admit(st.once)
		if a.Allowed != st.allowed || a.Replayed != st.replayed || (a.Wait > 0) != st.wait {
			t.Errorf("step %d (%q): %+v, want allowed=%v replayed=%v waiting=%v", i+1, st.once, a, st.allowed, st.replayed, st.wait)
		}
	}
	// A user with no record is admitted with the zero User.
	other := bot.SlackUser("T1", "U1")
	a, err := g.Admit(ctx, other, "slack:v0=1", rate)
	if err != nil || !a.Allowed || !a.User.IsZero() || a.User.ID != other {
		t.Errorf("Admit of a user with no record = %+v, %v", a, err)
	}
	if _, err := g.Admit(ctx, "", "", rate); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("Admit without an id: %v, want Invalid", err)
	}
}
