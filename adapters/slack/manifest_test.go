package slack_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	coachslack "github.com/coachbot/coachbot/adapters/slack"
	"github.com/coachbot/coachbot/bot/bottest"
)

// manifestFile is the manifest in the repository, which must be what
// `coachbot slack-manifest` prints for the example base URL.
var manifestFile = filepath.Join("..", "..", "deploy", "slack-app-manifest.yaml")

const exampleBase = "https://coachbot.example.com"

// manifest is the part of Slack's app manifest schema the tests check.
type manifest struct {
	Metadata struct {
		Major int `yaml:"major_version"`
	} `yaml:"_metadata"`
	Display struct {
		Name string `yaml:"name"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			MessagesTab bool `yaml:"messages_tab_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuth struct {
		RedirectURLs []string `yaml:"redirect_urls"`
		Scopes       struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		SocketMode *bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func TestManifest(t *testing.T) {
	spec := bottest.New(t).Spec()
	got, err := coachslack.Manifest(spec, exampleBase+"/")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("deploy file", func(t *testing.T) {
		if *update {
			if err := os.WriteFile(manifestFile, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(manifestFile)
		if err != nil {
			t.Fatalf("%v (run go test ./adapters/slack -update to write it)", err)
		}
		if d := cmp.Diff(string(want), got); d != "" {
			t.Errorf("%s is not what Manifest makes from the spec (-file +Manifest); run go test ./adapters/slack -update:\n%s", manifestFile, d)
		}
	})

	var m manifest
	if err := yaml.Unmarshal([]byte(got), &m); err != nil {
		t.Fatalf("the manifest is not YAML: %v\n%s", err, got)
	}

	t.Run("slash commands", func(t *testing.T) {
		var names []string
		for _, c := range m.Features.SlashCommands {
			names = append(names, c.Command)
			if c.URL != exampleBase+"/slack/commands" {
				t.Errorf("%s: url %q", c.Command, c.URL)
			}
			if c.Description == "" || len(c.Description) > 100 {
				t.Errorf("%s: description %q", c.Command, c.Description)
			}
			cmd := spec.Find(strings.TrimPrefix(c.Command, "/"))
			takesWords := c.Command == "/coach" || cmd != nil && (len(cmd.Args) > 0 || len(cmd.Subs) > 0)
			if takesWords != (c.UsageHint != "") {
				t.Errorf("%s: usage hint %q, but the command takes words: %v", c.Command, c.UsageHint, takesWords)
			}
			if c.ShouldEscape {
				t.Errorf("%s: should_escape would turn mentions into <@U…> in the text", c.Command)
			}
		}
		want := []string{"/coach", "/roadmap", "/skills", "/salary", "/career", "/quiz", "/progress"}
		if d := cmp.Diff(want, names); d != "" {
			t.Errorf("slash commands (-want +got):\n%s", d)
		}
		// Each command's summary is the spec's.
		for _, c := range m.Features.SlashCommands[1:] {
			if cmd := spec.Find(strings.TrimPrefix(c.Command, "/")); cmd == nil || cmd.Summary != c.Description {
				t.Errorf("%s: description %q is not the spec's summary", c.Command, c.Description)
			}
		}
	})

	t.Run("usage hints", func(t *testing.T) {
		hints := map[string]string{}
		for _, c := range m.Features.SlashCommands {
			hints[c.Command] = c.UsageHint
		}
		for cmd, want := range map[string]string{
			"/roadmap": "[overview | next | step N | done N|T | learning T | skip T | undo N|T | reset [confirm]]",
			"/salary":  "[junior | mid | senior | lead | architect]", // the career levels (issue 12)
			"/skills":  "[NAME]",
		} {
			if hints[cmd] != want {
				t.Errorf("%s: usage hint %q, want %q", cmd, hints[cmd], want)
			}
		}
		if !strings.Contains(hints["/coach"], "remind") {
			t.Errorf("/coach usage hint %q does not offer remind, which has no slash command of its own", hints["/coach"])
		}
	})

	t.Run("settings and scopes", func(t *testing.T) {
		if d := cmp.Diff([]string{"commands", "chat:write", "im:write", "users:read"}, m.OAuth.Scopes.Bot); d != "" {
			t.Errorf("bot scopes (-want +got):\n%s", d)
		}
		if !m.Settings.Interactivity.Enabled || m.Settings.Interactivity.RequestURL != exampleBase+"/slack/interactions" {
			t.Errorf("interactivity: %+v", m.Settings.Interactivity)
		}
		// "Add to Slack": Slack sends the browser back to the callback, and
		// tells the app when a workspace removes it.
		if d := cmp.Diff([]string{exampleBase + "/slack/oauth/callback"}, m.OAuth.RedirectURLs); d != "" {
			t.Errorf("redirect URLs (-want +got):\n%s", d)
		}
		ev := m.Settings.EventSubscriptions
		if ev.RequestURL != exampleBase+"/slack/events" || !cmp.Equal(ev.BotEvents, []string{"app_uninstalled", "tokens_revoked"}) {
			t.Errorf("event subscriptions: %+v", ev)
		}
		if m.Settings.SocketMode == nil || *m.Settings.SocketMode {
			t.Errorf("socket_mode_enabled must be there and false")
		}
		if m.Metadata.Major != 1 || m.Display.Name == "" || m.Features.BotUser.DisplayName == "" || !m.Features.AppHome.MessagesTab {
			t.Errorf("metadata, display or bot user missing: %+v", m)
		}
	})
}

func TestManifestRefusesBadBase(t *testing.T) {
	spec := bottest.New(t).Spec()
	for _, base := range []string{"", "coachbot.example.com", "ftp://coachbot.example.com", "https://", "https://x.example/?a=1"} {
		if _, err := coachslack.Manifest(spec, base); err == nil {
			t.Errorf("Manifest(%q) did not fail", base)
		}
	}
	if _, err := coachslack.Manifest(nil, exampleBase); err == nil {
		t.Error("Manifest(nil spec) did not fail")
	}
}
