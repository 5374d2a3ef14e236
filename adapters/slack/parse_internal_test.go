package slack

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

// TestParseFormAsSlackGo holds parseSlashCommand, which reads the verified
// bytes, to what slack.SlashCommandParse reads from the request, which the
// adapter no longer calls: the same command, or the same refusal.
func TestParseFormAsSlackGo(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("testdata", "slash-command.form"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, target, contentType, body string
		wantErr                         bool
	}{
		{"Slack's example", "/slack/commands", formType, string(example), false},
		{"with a charset", "/slack/commands", formType + "; charset=utf-8", string(example), false},
		{"enterprise install", "/slack/commands", formType, "team_id=T1&user_id=U1&is_enterprise_install=true&enterprise_id=E1", false},
		{"repeated keys: the first counts", "/slack/commands", formType, "team_id=T1&team_id=T2&user_id=U1&text=tip&text=help", false},
		{"a query string is not the form", "/slack/commands?team_id=T9&text=admin", formType, "team_id=T1&user_id=U1", false},
		{"escapes", "/slack/commands", formType, "team_id=T1&user_id=U1&text=%2Froadmap+done+1%C3%A9", false},
		{"empty", "/slack/commands", formType, "", false},
		{"bad escape", "/slack/commands", formType, "team_id=T1&user_id=U1&text=%zz", true},
		{"semicolon", "/slack/commands", formType, "team_id=T1&user_id=U1&text=a;b", true},
		{"semicolon in a key we do not keep", "/slack/commands", formType, "team_id=T1&user_id=U1&x;y=1", true},
		{"bad escape in a value we do not keep", "/slack/commands", formType, "team_id=T1&user_id=U1&x=%G1", true},
		{"bad escape in a key", "/slack/commands", formType, "team_id=T1&user_id=U1&%zz=1", true},
		{"escaped key", "/slack/commands", formType, "team%5Fid=T1&user_id=U1&te%78t=tip", false},
		{"empty pairs and a key alone", "/slack/commands", formType, "&&team_id=T1&&user_id=U1&text&text=tip&", false},
		{"= in a value", "/slack/commands", formType, "team_id=T1&user_id=U1&text=a=b", false},
		{"an empty first value counts", "/slack/commands", formType, "team_id=T1&user_id=U1&text=&text=tip", false},
		{"enterprise install not true", "/slack/commands", formType, "team_id=T1&user_id=U1&is_enterprise_install=TRUE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.target, bytes.NewReader([]byte(tt.body)))
			r.Header.Set("Content-Type", tt.contentType)
			want, wantErr := slack.SlashCommandParse(r)
			if (wantErr != nil) != tt.wantErr {
				t.Fatalf("slack-go: err %v; the test expects an error: %v", wantErr, tt.wantErr)
			}
			got, err := parseSlashCommand(r.Header, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseSlashCommand: err %v; want an error: %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("parseSlashCommand differs from slack.SlashCommandParse (-slack-go +ours):\n%s", diff)
			}
		})
	}
}

// TestParseFormRefusesWhatIsNotAForm: slack-go's ParseForm reads nothing
// from a body of another type, so such a command has no team or user and
// is refused; parseForm refuses it outright.
func TestParseFormRefusesWhatIsNotAForm(t *testing.T) {
	for _, ct := range []string{"", "application/json", "multipart/form-data; boundary=x", "text/plain", "not a type"} {
		t.Run(fmt.Sprintf("%q", ct), func(t *testing.T) {
			body := "team_id=T1&user_id=U1&text=help"
			r := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader([]byte(body)))
			r.Header.Set("Content-Type", ct)
			if cmd, err := slack.SlashCommandParse(r); err == nil && (cmd.TeamID != "" || cmd.UserID != "") {
				t.Fatalf("slack-go read %+v from a %q body; the adapter should too", cmd, ct)
			}
			if f, err := parseForm(r.Header, []byte(body)); err == nil {
				t.Errorf("parseForm read %v from a %q body, want an error", f, ct)
			}
			if c, err := parseSlashCommand(r.Header, []byte(body)); err == nil {
				t.Errorf("parseSlashCommand read %+v from a %q body, want an error", c, ct)
			}
		})
	}
}

// TestInteractionCallbackAsSlackGo holds interactionCallback to
// slack.InteractionCallbackParse on Slack's example and on broken payloads.
func TestInteractionCallbackAsSlackGo(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("testdata", "block-actions.json"))
	if err != nil {
		t.Fatal(err)
	}
	form := func(payload string) string { return "payload=" + url.QueryEscape(payload) }
	tests := []struct {
		name, body string
		wantErr    bool
	}{
		{"block actions", form(string(example)), false},
		{"view submission", form(string(bytes.Replace(example, []byte(`"block_actions"`), []byte(`"view_submission"`), 1))), false},
		{"no payload", "text=hello", true},
		{"empty payload", "payload=", true},
		{"payload not JSON", form("{not json"), true},
		{"payload of the wrong shape", form(`{"type":"block_actions","user":"U1"}`), true},
		{"bad escape", "payload=%zz", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/slack/interactions", bytes.NewReader([]byte(tt.body)))
			r.Header.Set("Content-Type", formType)
			want, wantErr := slack.InteractionCallbackParse(r)
			if (wantErr != nil) != tt.wantErr {
				t.Fatalf("slack-go: err %v; the test expects an error: %v", wantErr, tt.wantErr)
			}
			got, err := interactionCallback(r.Header, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("interactionCallback: err %v; want an error: %v", err, tt.wantErr)
			}
			// InteractionCallback has unexported fields, which cmp refuses.
			if !reflect.DeepEqual(want, got) {
				t.Errorf("interactionCallback differs from slack.InteractionCallbackParse:\nslack-go %+v\nours     %+v", want, got)
			}
		})
	}
}

// FuzzParseSlashCommand holds parseSlashCommand to slack.SlashCommandParse
// on any body: the same command, or both refuse it.
//
//	go test -run '^$' -fuzz '^FuzzParseSlashCommand$' -fuzztime 1m ./adapters/slack
func FuzzParseSlashCommand(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("testdata", "slash-command.form"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(example), "", "&", "a;b", "text=%zz", "te%78t=1&text=2", "=&=x&x=", "user_id=U1&user_id=U2&is_enterprise_install=true"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		r.Header.Set("Content-Type", formType)
		want, wantErr := slack.SlashCommandParse(r)
		got, err := parseSlashCommand(r.Header, []byte(body))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("body %q: parseSlashCommand err %v, slack-go err %v", body, err, wantErr)
		}
		if err == nil {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body %q: parseSlashCommand differs from slack-go (-slack-go +ours):\n%s", body, diff)
			}
		}
	})
}

// BenchmarkParseSlashCommand is why parseSlashCommand is not
// url.ParseQuery and fifteen Gets (the "url.Values" case, as the adapter
// read commands before): it runs for every command.
//
//	go test -run '^$' -bench ParseSlashCommand -benchmem ./adapters/slack
func BenchmarkParseSlashCommand(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "slash-command.form"))
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{"Content-Type": {formType}}
	b.Run("url.Values", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, err := parseForm(h, body)
			if err != nil {
				b.Fatal(err)
			}
			if c := slashCommandOf(f); c.UserID == "" {
				b.Fatal("no user")
			}
		}
	})
	b.Run("parseSlashCommand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := parseSlashCommand(h, body)
			if err != nil || c.UserID == "" {
				b.Fatal("no user", err)
			}
		}
	})
}

// slashCommandOf is how the adapter read a command before
// parseSlashCommand, as slack.SlashCommandParse does: the benchmark's
// baseline.
func slashCommandOf(f url.Values) slack.SlashCommand {
	return slack.SlashCommand{
		Token:               f.Get("token"),
		TeamID:              f.Get("team_id"),
		TeamDomain:          f.Get("team_domain"),
		EnterpriseID:        f.Get("enterprise_id"),
		EnterpriseName:      f.Get("enterprise_name"),
		IsEnterpriseInstall: f.Get("is_enterprise_install") == "true",
		ChannelID:           f.Get("channel_id"),
		ChannelName:         f.Get("channel_name"),
		UserID:              f.Get("user_id"),
		UserName:            f.Get("user_name"),
		Command:             f.Get("command"),
		Text:                f.Get("text"),
		ResponseURL:         f.Get("response_url"),
		TriggerID:           f.Get("trigger_id"),
		APIAppID:            f.Get("api_app_id"),
	}
}
