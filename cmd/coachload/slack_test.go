package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

const testSlackSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// slackRequest is request seq of a slack generator as an *http.Request,
// the way coachbot's handler receives it.
func slackRequest(t *testing.T, g *slackGen, seq, user uint64, line int, now time.Time) (*http.Request, []byte) {
	t.Helper()
	body, h := g.newBuilder().build(seq, user, line, now)
	r := httptest.NewRequest(http.MethodPost, slackPath, bytes.NewReader(body))
	r.Header = h
	return r, body
}

// TestSlackSignature: slack-go's SecretsVerifier, which coachbot's Slack
// adapter verifies with, accepts what coachload signs, and refuses it
// under another secret or after the body changed.
func TestSlackSignature(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name, verifySecret string
		tamper             func([]byte) []byte
		wantOK             bool
	}{
		{"the same secret", testSlackSecret, nil, true},
		{"another secret", "another-secret", nil, false},
		{"a changed body", testSlackSecret, func(b []byte) []byte { return bytes.Replace(b, []byte("mid"), []byte("experienced"), 1) }, false},
	}
	g := newSlackGen(testSlackSecret, []string{"salary mid", "roadmap next"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := slackRequest(t, g, 42, 7, 0, now)
			if tt.tamper != nil {
				body = tt.tamper(body)
			}
			sv, err := slack.NewSecretsVerifier(r.Header, tt.verifySecret)
			if err != nil {
				t.Fatal(err)
			}
			sv.Write(body)
			if err := sv.Ensure(); (err == nil) != tt.wantOK {
				t.Errorf("Ensure() = %v, want ok=%v", err, tt.wantOK)
			}
		})
	}
}

// TestSlackForm: slack-go parses the body into the slash command Slack
// sends, with a distinct user per pool index and the command line as text.
func TestSlackForm(t *testing.T) {
	lines := []string{"salary mid", "roadmap next", "remind daily 07:30 Asia/Kolkata mon,wed,fri", "skills security & privacy"}
	g := newSlackGen(testSlackSecret, lines)
	for i, line := range lines {
		t.Run(line, func(t *testing.T) {
			r, _ := slackRequest(t, g, uint64(1000+i), uint64(i*37), i, time.Now())
			if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type %q", ct)
			}
			cmd, err := slack.SlashCommandParse(r)
			if err != nil {
				t.Fatal(err)
			}
			want := slack.SlashCommand{
				Token: slackToken, TeamID: slackTeamID, TeamDomain: slackTeamDomain,
				ChannelID: slackChannelID, ChannelName: slackChannel,
				UserID: slackUserID(uint64(i * 37)), UserName: "load.user." + strconv.Itoa(i*37),
				Command: "/coach", Text: line, APIAppID: slackAppID,
				ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID, // checked below
			}
			if d := cmp.Diff(want, cmd); d != "" {
				t.Errorf("slash command differs (-want +got):\n%s", d)
			}
			u, err := url.Parse(cmd.ResponseURL)
			if err != nil || u.Hostname() != "127.0.0.1" || !strings.HasPrefix(u.Path, "/commands/"+slackTeamID+"/") {
				t.Errorf("response_url %q, want a loopback URL that goes nowhere", cmd.ResponseURL)
			}
			if strings.Count(cmd.TriggerID, ".") != 2 {
				t.Errorf("trigger_id %q is not Slack's shape", cmd.TriggerID)
			}
		})
	}
}

func TestSlackUserID(t *testing.T) {
	seen := map[string]bool{}
	for _, u := range []uint64{0, 1, 35, 36, 99999, 1<<40 + 3} {
		id := slackUserID(u)
		if len(id) < 11 || id[0] != 'U' || strings.ToUpper(id) != id {
			t.Errorf("slackUserID(%d) = %q, not U and ten of [0-9A-Z]", u, id)
		}
		if seen[id] {
			t.Errorf("slackUserID(%d) = %q again", u, id)
		}
		seen[id] = true
	}
}

func TestSlackCheck(t *testing.T) {
	g := newSlackGen("s", []string{"tip"})
	tests := []struct {
		body             string
		ok, wantDeferred bool
	}{
		{`{"response_type":"ephemeral","text":"Tip"}`, true, false},
		{"  \n{}", true, false},
		{"", true, true}, // answered later through response_url
		{"invalid request signature", false, false},
	}
	for _, tt := range tests {
		ok, deferred := g.check([]byte(tt.body))
		if ok != tt.ok || deferred != tt.wantDeferred {
			t.Errorf("check(%q) = %v, %v; want %v, %v", tt.body, ok, deferred, tt.ok, tt.wantDeferred)
		}
	}
}
