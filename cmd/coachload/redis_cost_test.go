package main

import (
	"bufio"
	"crypto/ed25519"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
)

// TestOneRedisCallPerCommand runs the real coachbot on Redis and watches,
// with MONITOR, what it sends while it answers one Slack and one Discord
// "roadmap next": each command is exactly one call (the gate script:
// replay check, rate limit and the user's record, which names the user).
// Left out: the commands scripts run inside Redis, which are not calls;
// the scheduler's idle ticks (its claim scripts name the due index); and
// a new connection's handshake. A command of another user goes first: the
// first call of a script after the bot starts finds it not loaded yet
// (NOSCRIPT) and sends it whole, a second call once per process.
func TestOneRedisCallPerCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the coachbot binary")
	}
	srv := redistest.Start(t)
	bin := buildCoachbot(t)
	key := ed25519.NewKeyFromSeed(testSeed)
	base, _ := startCoachbot(t, bin, key.Public().(ed25519.PublicKey), []string{"COACH_REDIS_URL=" + srv.URL(), "COACH_DATA_DIR=" + t.TempDir()})

	mon, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	feed := bufio.NewReader(mon)
	if _, err := io.WriteString(mon, "MONITOR\r\n"); err != nil {
		t.Fatal(err)
	}
	if ok, err := feed.ReadString('\n'); err != nil || ok != "+OK\r\n" {
		t.Fatalf("MONITOR = %q, %v", ok, err)
	}
	// calls returns the bot's calls since the last: everything MONITOR
	// printed before a marker the test sends after the answer, since Redis
	// runs commands one at a time.
	handshake := regexp.MustCompile(`(?i)\] "(hello|client|ping|auth|select)"`)
	marks := 0
	calls := func() []string {
		t.Helper()
		marks++
		marker := fmt.Sprintf("coachload-test-marker-%d", marks)
		if err := srv.Client().Echo(t.Context(), marker).Err(); err != nil {
			t.Fatal(err)
		}
		var got []string
		mon.SetReadDeadline(time.Now().Add(30 * time.Second)) // a hang becomes a failure
		for {
			line, err := feed.ReadString('\n')
			if err != nil {
				t.Fatalf("MONITOR: %v", err)
			}
			if strings.Contains(line, marker) {
				return got
			}
			if !strings.Contains(line, " lua] ") && !strings.Contains(line, `:due"`) && !handshake.MatchString(line) {
				got = append(got, line)
			}
		}
	}

	dg, err := newDiscordGen(key, "123", []string{"roadmap next"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		b    builder
		who  string // the user as the store's keys name them
	}{
		{"slack", slackPath, newSlackGen(e2eSecret, []string{"roadmap next"}).newBuilder(), "s:" + slackTeamID + ":" + slackUserID(7)},
		{"discord", discordPath, dg.newBuilder(), fmt.Sprint("d:", discordUserID(7))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send := func(seq, user uint64) {
				t.Helper()
				body, h := tc.b.build(seq, user, 0, time.Now())
				req, err := http.NewRequest(http.MethodPost, base+tc.path, strings.NewReader(string(body)))
				if err != nil {
					t.Fatal(err)
				}
				req.Header = h
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				answer, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || !strings.Contains(string(answer), "Step") {
					t.Fatalf("status %d: %.300s", res.StatusCode, answer)
				}
			}
			send(1, 8) // loads the script
			calls()
			send(2, 7)
			got := calls()
			if len(got) != 1 || !strings.Contains(strings.ToUpper(got[0]), `"EVALSHA"`) || !strings.Contains(got[0], tc.who) {
				t.Errorf("the command made %d calls, want 1 EVALSHA naming %s:\n%s", len(got), tc.who, strings.Join(got, ""))
			}
		})
	}
}
