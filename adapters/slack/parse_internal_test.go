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
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

const formType = "application/x-www-form-urlencoded"

// TestParseFormAsSlackGo holds slashCommand(parseForm(…)), which reads the
// verified bytes, to what slack.SlashCommandParse reads from the request,
// which the adapter no longer calls: the same command, or the same refusal.
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.target, bytes.NewReader([]byte(tt.body)))
			r.Header.Set("Content-Type", tt.contentType)
			want, wantErr := slack.SlashCommandParse(r)
			if (wantErr != nil) != tt.wantErr {
				t.Fatalf("slack-go: err %v; the test expects an error: %v", wantErr, tt.wantErr)
			}
			f, err := parseForm(r.Header, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseForm: err %v; want an error: %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(want, slashCommand(f)); diff != "" {
				t.Errorf("slashCommand differs from slack.SlashCommandParse (-slack-go +ours):\n%s", diff)
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
