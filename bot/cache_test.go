package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestCacheKeys checks the promise that lets adapters cache renderings:
// replies with the same CacheKey are identical whoever asks and whenever,
// and personal replies and errors carry none. A roadmap step is keyed by
// its state, so the two new users share a key and ana has her own.
func TestCacheKeys(t *testing.T) {
	h := bottest.New(t)
	// ana has progress, a reminder and a pending notice; ben has nothing.
	h.SayAs("test:ana", "roadmap done 1")
	h.SayAs("test:ana", "remind daily 07:00 Asia/Kolkata")
	h.SayAs("test:ana", "checkin")

	keyed := map[string]bot.Reply{}
	for _, tc := range []struct {
		line, key string // key "" means: no CacheKey
	}{
		{"salary mid", "salary mid age=1"}, // the source's age is part of the reply
		{"/coach pay senior", "salary senior age=1"},
		{"salary", "salary age=1"},
		{"skills databases", "skills database-management"},
		{"skills", "skills"},
		{"career lead", "career lead age=1"},
		{"help remind", "help remind"},
		{"help", "help"},
		// A step is keyed by its topics' states and the steps done.
		{"roadmap next", "step"},
		{"roadmap step 1", "step"},
		{"progress", ""},
		{"roadmap", ""},
		{"export", ""},
		{"remind status", ""},
		{"salary wizard", ""},
		{"nonsense", ""},
	} {
		for _, user := range []bot.UserID{"test:ana", "test:ben", "test:cy"} {
			r := h.SayAs(user, tc.line)
			if tc.key == "step" && strings.HasPrefix(r.CacheKey, "step ") {
				// ben and cy, both new, share the key; the check below
				// compares their replies.
			} else if r.CacheKey != tc.key {
				t.Errorf("%s %q: CacheKey %q, want %q", user, tc.line, r.CacheKey, tc.key)
			}
			if r.CacheKey == "" {
				continue
			}
			if first, ok := keyed[r.CacheKey]; ok {
				if diff := cmp.Diff(first, r); diff != "" {
					t.Errorf("two replies under key %q differ (-first +now):\n%s", r.CacheKey, diff)
				}
			} else {
				keyed[r.CacheKey] = r
			}
			h.Clock.Advance(7 * time.Hour) // another day for someone
		}
	}

	// A tip is keyed by which tip it is: the harness hands them out in
	// turn, so 40 asks see every tip at least twice.
	tips := map[string]bot.Reply{}
	for i := range 40 {
		r := h.SayAs([]bot.UserID{"test:ana", "test:ben"}[i%2], "tip")
		if !strings.HasPrefix(r.CacheKey, "tip ") {
			t.Fatalf("tip CacheKey %q", r.CacheKey)
		}
		if first, ok := tips[r.CacheKey]; ok {
			if diff := cmp.Diff(first, r); diff != "" {
				t.Errorf("two tips under key %q differ:\n%s", r.CacheKey, diff)
			}
		}
		tips[r.CacheKey] = r
	}
	if len(tips) < 2 {
		t.Errorf("only %d distinct tip keys", len(tips))
	}
}

func TestCacheGet(t *testing.T) {
	var c bot.Cache[string]
	calls := 0
	mk := func() (string, error) { calls++; return "rendered", nil }
	for range 3 {
		if v, err := c.Get("salary mid", mk); v != "rendered" || err != nil {
			t.Fatalf("Get = %q, %v", v, err)
		}
	}
	if calls != 1 {
		t.Errorf("made %d times, want once", calls)
	}
	if _, err := c.Get("bad", func() (string, error) { return "", errors.New("boom") }); err == nil {
		t.Error("an error was not returned")
	}
	if v, _ := c.Get("bad", mk); v != "rendered" {
		t.Errorf("a failed make was kept: %q", v)
	}
	// Concurrent first calls all get the one kept value.
	var wg sync.WaitGroup
	var d bot.Cache[*int]
	got := make([]*int, 8)
	for i := range got {
		wg.Go(func() { got[i], _ = d.Get("k", func() (*int, error) { return new(int), nil }) })
	}
	wg.Wait()
	for _, p := range got {
		if p != got[0] {
			t.Fatal("concurrent callers got different values")
		}
	}
}

// TestNoticeMakesAReplyPersonal: a reply with a pending notice in it has no
// key, or every user in that state would see the notice.
func TestNoticeMakesAReplyPersonal(t *testing.T) {
	h := bottest.New(t)
	if _, err := h.Store.UpdateUser(context.Background(), h.User, func(u *bot.User) error {
		u.Notice = "Your reminders are paused."
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := h.Say("roadmap next")
	if !strings.Contains(r.Text, "Your reminders are paused.") || r.CacheKey != "" {
		t.Errorf("reply with a notice: key %q, text %q", r.CacheKey, r.Text)
	}
}

// TestCacheIsBounded: keys come from states users can combine in many
// ways, so a Cache keeps its first entries only; later values are made
// every time and not kept.
func TestCacheIsBounded(t *testing.T) {
	var c bot.Cache[int]
	calls := 0
	get := func(i int) {
		c.Get(fmt.Sprint("k", i), func() (int, error) { calls++; return i, nil })
	}
	for i := range 10000 {
		get(i)
	}
	calls = 0
	get(0)
	if calls != 0 {
		t.Errorf("an early key was made again: it should be kept")
	}
	get(9999)
	if calls != 1 {
		t.Errorf("the 10000th key was kept: the cache is not bounded below 10000 entries")
	}
}
