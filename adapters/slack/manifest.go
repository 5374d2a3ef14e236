package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/coachbot/coachbot/bot"
)

// Scopes are the bot token scopes the adapter uses over HTTP, and no
// more: commands (slash commands), chat:write (answers and DMs), im:write
// (conversations.open for DMs) and users:read (users.info for the profile's
// time zone). Socket Mode also uses files:write, to upload the progress
// card into the DM; the manifest is HTTP's, so it does not ask for it.
var Scopes = []string{"commands", "chat:write", "im:write", "users:read"}

// uninstallEvents are the Events API events the app subscribes to: those
// that end an install (they need no scope).
var uninstallEvents = []string{"app_uninstalled", "tokens_revoked"}

// Umbrella is the slash command that takes every command line of the
// grammar, including those Slack has no slash command for (remind).
const Umbrella = "coach"

const umbrellaSummary = "Your backend career coach: roadmap, skills, salaries, progress and reminders"

// reservedSlash are Slack's built-in slash commands: an app cannot have
// them, so those commands are reached through /coach only (/coach remind).
var reservedSlash = map[string]bool{
	"active": true, "apps": true, "archive": true, "away": true, "call": true, "collapse": true,
	"dm": true, "dnd": true, "expand": true, "feed": true, "invite": true, "join": true,
	"kick": true, "leave": true, "me": true, "msg": true, "mute": true, "open": true,
	"remind": true, "remove": true, "rename": true, "search": true, "shrug": true,
	"star": true, "status": true, "topic": true, "who": true,
}

// slashCommands returns the spec's commands that are their own slash
// command on Slack: those marked Slash, except the names Slack reserves.
func slashCommands(spec *bot.Spec) []*bot.Command {
	var cmds []*bot.Command
	for _, c := range spec.Commands {
		if c.Slash && !c.Hidden && !reservedSlash[c.Name] {
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// Manifest returns the Slack app manifest (YAML) for the command spec, with
// its endpoints under baseURL (https://coachbot.example.com): /coach and
// each slash command of the spec, with the spec's summaries as
// descriptions and usage hints made from its grammar, the interactivity
// URL for buttons, exactly the bot scopes in Scopes, the redirect URL of
// "Add to Slack" and the Events API URL with the events that end an
// install (app_uninstalled, tokens_revoked). Socket Mode is
// off in the manifest; turn it on in the app's settings to use an app token
// instead of public endpoints.
func Manifest(spec *bot.Spec, baseURL string) (string, error) {
	if spec == nil {
		return "", errors.New("slack manifest: no command spec")
	}
	base, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return "", fmt.Errorf("slack manifest: the base URL must be an absolute http(s) URL without query, like https://coachbot.example.com; got %q", baseURL)
	}
	root := base.String()

	type command struct{ name, summary, hint string }
	cmds := []command{{Umbrella, umbrellaSummary, umbrellaHint(spec)}}
	for _, c := range slashCommands(spec) {
		cmds = append(cmds, command{c.Name, c.Summary, usageHint(c)})
	}

	var b strings.Builder
	b.WriteString("# The Slack app manifest of coachbot, made from its command spec by\n")
	b.WriteString("# `coachbot slack-manifest`; do not edit by hand. Paste it at\n")
	b.WriteString("# https://api.slack.com/apps → Create New App → From a manifest.\n")
	b.WriteString("_metadata:\n  major_version: 1\n  minor_version: 1\n")
	b.WriteString("display_information:\n")
	b.WriteString("  name: coachbot\n")
	fmt.Fprintf(&b, "  description: %s\n", quote("A career coach for would-be backend developers"))
	b.WriteString("features:\n")
	b.WriteString("  app_home:\n    home_tab_enabled: false\n    messages_tab_enabled: true\n    messages_tab_read_only_enabled: true\n")
	b.WriteString("  bot_user:\n    display_name: coachbot\n    always_online: true\n")
	b.WriteString("  slash_commands:\n")
	for _, c := range cmds {
		if !validSlashName(c.name) {
			return "", fmt.Errorf("slack manifest: %q cannot be a slash command name", c.name)
		}
		if c.summary == "" {
			return "", fmt.Errorf("slack manifest: /%s has no summary", c.name)
		}
		fmt.Fprintf(&b, "    - command: /%s\n", c.name)
		fmt.Fprintf(&b, "      url: %s\n", quote(root+"/slack/commands"))
		fmt.Fprintf(&b, "      description: %s\n", quote(c.summary))
		if c.hint != "" {
			fmt.Fprintf(&b, "      usage_hint: %s\n", quote(c.hint))
		}
		b.WriteString("      should_escape: false\n")
	}
	b.WriteString("oauth_config:\n")
	fmt.Fprintf(&b, "  redirect_urls:\n    - %s\n", quote(root+callbackPath))
	b.WriteString("  scopes:\n    bot:\n")
	for _, s := range Scopes {
		fmt.Fprintf(&b, "      - %s\n", s)
	}
	b.WriteString("settings:\n")
	b.WriteString("  interactivity:\n    is_enabled: true\n")
	fmt.Fprintf(&b, "    request_url: %s\n", quote(root+"/slack/interactions"))
	b.WriteString("  event_subscriptions:\n")
	fmt.Fprintf(&b, "    request_url: %s\n", quote(root+"/slack/events"))
	b.WriteString("    bot_events:\n")
	for _, e := range uninstallEvents {
		fmt.Fprintf(&b, "      - %s\n", e)
	}
	b.WriteString("  org_deploy_enabled: false\n  socket_mode_enabled: false\n  token_rotation_enabled: false\n")
	return b.String(), nil
}

// umbrellaHint lists the commands /coach takes.
func umbrellaHint(spec *bot.Spec) string {
	var names []string
	for _, c := range spec.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return "[" + strings.Join(names, " | ") + "]"
}

// usageHint is what Slack shows after the command while it is typed: the
// spec's usage lines without the command's own name, "[next | step N | …]"
// or "[beginner | mid | experienced]".
func usageHint(c *bot.Command) string {
	if len(c.Subs) > 0 {
		var alts []string
		for _, s := range c.Subs {
			if !s.Hidden {
				alts = append(alts, strings.TrimSpace(s.Name+" "+argsHint(s.Args)))
			}
		}
		if c.Default != "" {
			return "[" + strings.Join(alts, " | ") + "]"
		}
		return "<" + strings.Join(alts, " | ") + ">"
	}
	return argsHint(c.Args)
}

// argsHint writes arguments as in Command.Usage, showing a short list of
// choices instead of a placeholder.
func argsHint(args []bot.Arg) string {
	var parts []string
	for _, a := range args {
		p := a.Placeholder
		if a.Kind == bot.ArgChoice && len(a.Choices) > 0 && len(a.Choices) <= 6 {
			var vals []string
			for _, ch := range a.Choices {
				vals = append(vals, ch.Value)
			}
			p = strings.Join(vals, " | ")
		}
		if !a.Required {
			p = "[" + p + "]"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// validSlashName is Slack's rule for command names: lower case letters,
// digits, "-" and "_", at most 32 characters.
func validSlashName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// quote writes s as a YAML double-quoted scalar. JSON strings are valid
// YAML, and quoting every free-text value keeps "[", ":" or "#" in them
// from meaning anything.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}
