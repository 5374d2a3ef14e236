package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePlatformAPI answers every Web API / REST call with success and
// records the paths, so a wiring test can run both adapters without a
// network. The adapters' own packages test the platforms in depth.
type fakePlatformAPI struct {
	mu    sync.Mutex
	paths []string
}

func (f *fakePlatformAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.Contains(r.URL.Path, "/commands") {
		io.WriteString(w, "[]")
		return
	}
	io.WriteString(w, `{"ok":true}`)
}

func (f *fakePlatformAPI) called(substr string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.paths {
		if strings.Contains(p, substr) {
			return true
		}
	}
	return false
}

// TestPlatformsWired starts Main with Slack (HTTP) and Discord (HTTP
// interactions) configured against a local fake, and checks that their
// endpoints answer through the shared server: signed requests get the bot's
// answer, unsigned ones 401, and Discord's commands were synced at start.
func TestPlatformsWired(t *testing.T) {
	api := &fakePlatformAPI{}
	fake := httptest.NewServer(api)
	defer fake.Close()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"

	m, _, _ := newMain(t.TempDir())
	m.Config.SlackBotToken, m.Config.SlackSigningSecret, m.Config.SlackApiURL = "xoxb-test", secret, fake.URL+"/api/"
	m.Config.DiscordToken, m.Config.DiscordAppID, m.Config.DiscordMode = "test-token", "123456789012345678", "http"
	m.Config.DiscordPublicKey, m.Config.DiscordApiURL = hex.EncodeToString(pub), fake.URL+"/api/v10"
	base := serveMain(t, m)

	if !api.called("/applications/123456789012345678/commands") {
		t.Errorf("Discord commands were not synced at start-up; calls: %v", api.paths)
	}

	// Slack: a signed slash command.
	body := url.Values{"command": {"/salary"}, "text": {"mid"}, "team_id": {"T1"}, "user_id": {"U1"},
		"response_url": {fake.URL + "/hook"}, "trigger_id": {"1.2." + randomHex(t, 4)}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	for _, tc := range []struct {
		name, sig string
		want      int
	}{
		{"signed", "v0=" + hex.EncodeToString(mac.Sum(nil)), 200},
		{"bad signature", "v0=" + strings.Repeat("0", 64), 401},
	} {
		req, _ := http.NewRequest("POST", base+"/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", tc.sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("slack %s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if tc.want == 200 && !strings.Contains(string(got), "₹10 L – ₹14 L") {
			t.Errorf("slack %s: answer lacks the mid band: %s", tc.name, got)
		}
	}

	// Discord: a signed PING, and a forged one.
	ping := `{"id":"900000000000000001","application_id":"123456789012345678","type":1,"token":"t","version":1}`
	ts = strconv.FormatInt(time.Now().Unix(), 10)
	for _, tc := range []struct {
		name string
		sig  []byte
		want int
	}{
		{"signed ping", ed25519.Sign(priv, []byte(ts+ping)), 200},
		{"forged ping", make([]byte, ed25519.SignatureSize), 401},
	} {
		req, _ := http.NewRequest("POST", base+"/discord/interactions", strings.NewReader(ping))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(tc.sig))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("discord %s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if tc.want == 200 && !strings.Contains(string(got), `"type":1`) {
			t.Errorf("discord %s: answer %s, want a PONG", tc.name, got)
		}
	}
}

func TestSlackManifestVerb(t *testing.T) {
	out, err := runMain(t, t.TempDir(), "slack-manifest", "https://bot.example.org")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"command: /coach", "https://bot.example.org/slack/commands", "https://bot.example.org/slack/interactions", "- users:read"} {
		if !strings.Contains(out, want) {
			t.Errorf("manifest lacks %q", want)
		}
	}
}
