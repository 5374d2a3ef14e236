package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
)

// testInstallations runs on stores that implement the optional
// bot.Installations: sealed bytes round-trip per team, a delete is final
// and repeatable, and UsersWithPrefix finds exactly one workspace's users,
// those with only a paused reminder or only a record included.
func testInstallations(t *testing.T, newStore func(*testing.T) bot.Store) {
	s := newStore(t)
	in, ok := s.(bot.Installations)
	if !ok {
		t.Skip("the store is no bot.Installations")
	}
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		if _, err := in.Installation(ctx, "T1"); !errors.Is(err, bot.ErrNoInstallation) {
			t.Fatalf("Installation of a team never installed: %v, want ErrNoInstallation", err)
		}
		a, b := []byte("sealed\x00one\xff"), []byte("sealed two")
		for team, v := range map[string][]byte{"T1": a, "T10": b} {
			if err := in.PutInstallation(ctx, team, v); err != nil {
				t.Fatalf("PutInstallation(%s): %v", team, err)
			}
		}
		for team, want := range map[string][]byte{"T1": a, "T10": b} {
			got, err := in.Installation(ctx, team)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("Installation(%s) = %q, %v; want %q", team, got, err, want)
			}
		}
		if err := in.PutInstallation(ctx, "T1", b); err != nil {
			t.Fatal(err)
		}
		if got, _ := in.Installation(ctx, "T1"); !slices.Equal(got, b) {
			t.Errorf("after a second put: %q, want %q", got, b)
		}
		for range 2 { // a second delete (both revocation events) is no error
			if err := in.DeleteInstallation(ctx, "T1"); err != nil {
				t.Fatalf("DeleteInstallation: %v", err)
			}
		}
		if _, err := in.Installation(ctx, "T1"); !errors.Is(err, bot.ErrNoInstallation) {
			t.Errorf("Installation after delete: %v, want ErrNoInstallation", err)
		}
		if got, err := in.Installation(ctx, "T10"); err != nil || !slices.Equal(got, b) {
			t.Errorf("deleting T1 touched T10: %q, %v", got, err)
		}
	})

	t.Run("UsersWithPrefix", func(t *testing.T) {
		s := newStore(t)
		in := s.(bot.Installations)
		ours := []bot.UserID{bot.SlackUser("T7", "U1"), bot.SlackUser("T7", "U2"), bot.SlackUser("T7", "U3")}
		theirs := []bot.UserID{bot.SlackUser("T70", "U1"), bot.SlackUser("T8", "U1"), bot.DiscordUser("7"), bot.ConsoleUser("T7")}
		for _, id := range append(slices.Clone(ours), theirs...) {
			if _, err := s.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		put(t, s, daily(ours[1], future()), once(theirs[0], future()))
		got, err := in.UsersWithPrefix(ctx, string(bot.SlackUser("T7", "")))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if diff := cmp.Diff(ours, got); diff != "" {
			t.Errorf("UsersWithPrefix(slack:T7:) (-want +got):\n%s", diff)
		}
		for _, id := range got {
			if err := s.Forget(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := in.UsersWithPrefix(ctx, string(bot.SlackUser("T7", ""))); err != nil || len(got) != 0 {
			t.Errorf("after forgetting them: %v, %v; want none", got, err)
		}
		if got, _ := in.UsersWithPrefix(ctx, string(bot.SlackUser("T70", ""))); len(got) != 1 {
			t.Errorf("another workspace's users went too: %v", got)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		for _, team := range []string{"", "T:1", "T*", "T\x00", string(make([]byte, 65))} {
			if err := in.PutInstallation(ctx, team, []byte("x")); bot.ErrorCode(err) != bot.Invalid {
				t.Errorf("PutInstallation(%q): %v, want Invalid", team, err)
			}
			if _, err := in.Installation(ctx, team); bot.ErrorCode(err) != bot.Invalid {
				t.Errorf("Installation(%q): %v, want Invalid", team, err)
			}
		}
		for _, p := range []string{"", "sla", "slack:\x00"} {
			if _, err := in.UsersWithPrefix(ctx, p); bot.ErrorCode(err) != bot.Invalid {
				t.Errorf("UsersWithPrefix(%q): %v, want Invalid", p, err)
			}
		}
	})
}
