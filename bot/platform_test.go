package bot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

func TestDMChannelIsCached(t *testing.T) {
	store := bottest.NewMemStore(bot.SystemClock{})
	ctx := context.Background()
	opens := 0
	open := func(context.Context) (string, error) { opens++; return "D123", nil }
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
