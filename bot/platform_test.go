package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

func TestDMChannelIsCached(t *testing.T) {
	store := bottest.NewMemStore(bot.SystemClock{})
	ctx := context.Background()
	opens := 0
	open := func(context.Context) (string, error) { opens++; return "D123", nil }
	// A DM goes to a user with a reminder, whose record the store keeps.
	if _, err := store.UpdateUser(ctx, "test:a", func(u *bot.User) error { u.Zone = "UTC"; return nil }); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		ch, err := bot.DMChannel(ctx, store, "test:a", open)
		if err != nil || ch != "D123" {
			t.Fatalf("DMChannel = %q, %v", ch, err)
		}
	}
	if opens != 1 {
		t.Errorf("opened %d times, want once", opens)
	}
	if err := bot.ForgetDMChannel(ctx, store, "test:a"); err != nil {
		t.Fatal(err)
	}
	bot.DMChannel(ctx, store, "test:a", open)
	if opens != 2 {
		t.Errorf("after ForgetDMChannel opened %d times, want 2", opens)
	}
	boom := errors.New("platform down")
	if _, err := bot.DMChannel(ctx, store, "test:b", func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the platform's", err)
	}
	if u, _ := store.User(ctx, "test:b"); !u.IsZero() {
		t.Error("a failed open wrote a record")
	}
}

// TestDMChannelAfterForget: a user forgotten while their reminder was
// being delivered (before DMChannel read the record, or while it opened
// the channel) is not written back by the cache; the channel is still
// returned. Before, the cache's UpdateUser re-created the record.
func TestDMChannelAfterForget(t *testing.T) {
	ctx := context.Background()
	const id = bot.UserID("test:a")
	tests := []struct {
		name  string
		first bool // forget before DMChannel reads
	}{
		{name: "forgotten before the read", first: true},
		{name: "forgotten while the channel opens"},
		{name: "forgotten and back while the channel opens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := bottest.NewMemStore(bot.SystemClock{})
			created, err := store.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "UTC"; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if tt.first {
				if err := store.Forget(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			var back bot.User
			open := func(context.Context) (string, error) {
				if !tt.first {
					if err := store.Forget(ctx, id); err != nil {
						return "", err
					}
				}
				if strings.Contains(tt.name, "back") {
					time.Sleep(2 * time.Millisecond) // a new Created
					back, err = store.UpdateUser(ctx, id, func(u *bot.User) error { u.Zone = "Europe/Paris"; return nil })
					if err != nil {
						return "", err
					}
				}
				return "D123", nil
			}
			ch, err := bot.DMChannel(ctx, store, id, open)
			if err != nil || ch != "D123" {
				t.Fatalf("DMChannel = %q, %v; want the channel", ch, err)
			}
			u, err := store.User(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !back.IsZero() {
				if u.DMChannel != "" || u.Zone != "Europe/Paris" || u.Created.Equal(created.Created) {
					t.Errorf("the record made after the forget = %+v, want it untouched", u)
				}
				return
			}
			if !u.IsZero() {
				t.Errorf("the forgotten user is back: %+v", u)
			}
			if err := bot.ForgetDMChannel(ctx, store, id); err != nil {
				t.Errorf("ForgetDMChannel of a forgotten user = %v", err)
			}
			if u, _ := store.User(ctx, id); !u.IsZero() {
				t.Errorf("ForgetDMChannel brought the user back: %+v", u)
			}
		})
	}
}
