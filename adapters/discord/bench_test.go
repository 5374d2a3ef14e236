package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// signedRequests makes n interactions from the testdata file with the
// data, numbered from first (a repeated id would be refused), signed at
// now; and, for the baseline, the signed messages and their signatures.
func signedRequests(b *testing.B, file string, data any, first, n int, now time.Time) (reqs []*http.Request, msgs, sigs [][]byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	for i := range n {
		body := payload(b, file, fmt.Sprintf("129%016d", first+i), data)
		msg := append([]byte(ts), body...)
		sig := ed25519.Sign(privateKey, msg)
		r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Signature-Timestamp", ts)
		r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
		reqs, msgs, sigs = append(reqs, r), append(msgs, msg), append(sigs, sig)
	}
	return reqs, msgs, sigs
}

// BenchmarkInteractionHTTP measures one HTTP interaction end to end:
// size cap, signature, freshness, dedupe, decode, dispatch to the bot (on a
// MemStore) and rendering, for "/salary mid"; and, as the floor of what the
// endpoint costs around the bot, a PING. Next to each, in the same run and
// on the same messages, it times a bare ed25519.Verify and reports both and
// their ratio. Requests are made in small untimed batches, so the heap (and
// with it the garbage collector's work) stays what a server would have.
func BenchmarkInteractionHTTP(b *testing.B) {
	b.Run("salary-mid", func(b *testing.B) {
		benchInteraction(b, "interaction-command-guild.json", commandData([]string{"salary"}, opt{"level", "mid"}))
	})
	b.Run("ping", func(b *testing.B) { benchInteraction(b, "interaction-ping.json", nil) })
}

func benchInteraction(b *testing.B, file string, data any) {
	quiet := slog.New(slog.DiscardHandler)
	h := bottest.New(b, bottest.WithConfig(func(c *bot.Config) { c.Logger = quiet }))
	a, err := discord.New(discord.Config{
		Token: testToken, AppID: testAppID, PublicKey: hex.EncodeToString(publicKey), Mode: discord.ModeHTTP,
		Bot: h.Bot, Store: h.Store, Limiter: bot.NewLocalLimits(nil),
		Logger: quiet, Clock: h.Clock,
	})
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, signed(payload(b, file, "1", data), h.Clock.Now()))
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}

	const batch = 256
	var handler, verify time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		b.StopTimer()
		reqs, msgs, sigs := signedRequests(b, file, data, done, n, h.Clock.Now())
		start := time.Now()
		for i := range n {
			if !ed25519.Verify(publicKey, msgs[i], sigs[i]) {
				b.Fatal("verify failed")
			}
		}
		verify += time.Since(start)
		b.StartTimer()

		start = time.Now()
		for i := range n {
			w := httptest.NewRecorder()
			a.ServeHTTP(w, reqs[i])
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
		handler += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(verify.Nanoseconds())/float64(b.N), "verify-ns/op")
	b.ReportMetric(float64(handler)/float64(verify), "x-verify")
}

// BenchmarkEd25519Verify is the baseline: a bare signature check of one
// interaction (timestamp + body), nothing else.
func BenchmarkEd25519Verify(b *testing.B) {
	_, msgs, sigs := signedRequests(b, "interaction-command-guild.json", commandData([]string{"salary"}, opt{"level", "mid"}), 0, 1, bottest.Start)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if !ed25519.Verify(publicKey, msgs[0], sigs[0]) {
			b.Fatal("verify failed")
		}
	}
}

// strictDiscord is a fake Discord that allows 50 requests a second with a
// token bucket of 50 and answers 429 past it, like the real global limit.
type strictDiscord struct {
	mu       sync.Mutex
	tokens   float64
	last     time.Time
	arrivals []time.Time
	limited  atomic.Int64
}

func (s *strictDiscord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	s.tokens = min(50, s.tokens+now.Sub(s.last).Seconds()*50)
	s.last = now
	ok := s.tokens >= 1
	if ok {
		s.tokens--
		s.arrivals = append(s.arrivals, now)
	}
	wait := (1 - s.tokens) / 50
	s.mu.Unlock()
	if !ok {
		s.limited.Add(1)
		status, body, header := rateLimited(wait, true)
		for k, v := range header {
			w.Header()[k] = v
		}
		writeJSON(w, status, body)
		return
	}
	writeJSON(w, http.StatusOK, messageJSON("1", r.PathValue("channel")))
}

// BenchmarkPacedDMs sends 500 DMs from 8 workers (the scheduler's default)
// through SendDM against a fake that enforces 50 requests a second, with
// the in-process limiter, and reports the rate achieved and the 429s.
func BenchmarkPacedDMs(b *testing.B) {
	const dms, workers = 500, 8
	quiet := slog.New(slog.DiscardHandler)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := bottest.New(b, bottest.WithConfig(func(c *bot.Config) { c.Logger = quiet }))
		users := make([]bot.UserID, dms)
		for j := range users {
			users[j] = bot.DiscordUser(strconv.Itoa(100000 + j))
			// DM channels are cached, so each DM is one request.
			if _, err := h.Store.UpdateUser(context.Background(), users[j], func(u *bot.User) error { u.DMChannel = "c" + strconv.Itoa(j); return nil }); err != nil {
				b.Fatal(err)
			}
		}
		fake := &strictDiscord{tokens: 50, last: time.Now()}
		mux := http.NewServeMux()
		mux.Handle("POST /api/v10/channels/{channel}/messages", fake)
		srv := httptest.NewServer(mux)
		a, err := discord.New(discord.Config{Token: testToken, AppID: testAppID, APIURL: srv.URL + "/api/v10",
			Bot: h.Bot, Store: h.Store, Limiter: bot.NewLocalLimits(nil), Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		reply := bot.Reply{Title: "Time to study ⏰", Text: "Today's next step: **Step 1**.",
			Buttons: []bot.Button{{Label: "Done for today", Command: "checkin"}}}
		jobs := make(chan bot.UserID)
		var failed atomic.Int64
		var wg sync.WaitGroup
		b.StartTimer()

		start := time.Now()
		for range workers {
			wg.Go(func() {
				for u := range jobs {
					if err := a.SendDM(context.Background(), u, reply); err != nil {
						failed.Add(1)
					}
				}
			})
		}
		for _, u := range users {
			jobs <- u
		}
		close(jobs)
		wg.Wait()
		elapsed := time.Since(start)

		b.StopTimer()
		srv.Close()
		fake.mu.Lock()
		arr := slices.Clone(fake.arrivals)
		fake.mu.Unlock()
		slices.SortFunc(arr, func(x, y time.Time) int { return x.Compare(y) })
		b.ReportMetric(float64(dms)/elapsed.Seconds(), "DMs/s")
		// Past the opening burst, the rate the pacing holds.
		const skip = 100
		if len(arr) > skip+1 {
			steady := float64(len(arr)-skip-1) / arr[len(arr)-1].Sub(arr[skip]).Seconds()
			b.ReportMetric(steady, "steady-req/s")
			b.ReportMetric(100*steady/50, "%-of-limit")
		}
		b.ReportMetric(float64(fake.limited.Load()), "429s")
		b.ReportMetric(float64(failed.Load()), "failed")
		b.Logf("%d DMs in %v: %d delivered, %d answered 429, %d failed", dms, elapsed.Round(time.Millisecond), len(arr), fake.limited.Load(), failed.Load())
	}
}
