package bot

import (
	"strings"
	"testing"
)

// tagged writes the subset with visible tags, so tests see every decision.
var tagged = TextFormat{
	Bold:   func(s string) string { return "<b>" + s + "</b>" },
	Italic: func(s string) string { return "<i>" + s + "</i>" },
	Link:   func(text, url string) string { return "<a " + url + ">" + text + "</a>" },
	Bullet: "* ",
	Escape: func(s string) string { return strings.ReplaceAll(s, "&", "&amp;") },
	Code:   func(lang, body string) string { return "<code " + lang + ">" + body + "</code>" },
}

func TestFormatText(t *testing.T) {
	tests := []struct{ in, tagged, plain string }{
		{"plain & simple", "plain &amp; simple", "plain & simple"},
		{"**bold** and _it_", "<b>bold</b> and <i>it</i>", "bold and it"},
		{"see [Go](https://go.dev/doc/).", "see <a https://go.dev/doc/>Go</a>.", "see Go <https://go.dev/doc/>."},
		{"**[Go](https://go.dev)**", "<b><a https://go.dev>Go</a></b>", "Go <https://go.dev>"},
		{"- one\n- **two**", "* one\n* <b>two</b>", "• one\n• two"},
		{"America/New_York and snake_case_name", "America/New_York and snake_case_name", "America/New_York and snake_case_name"},
		{"an **unclosed bold", "an **unclosed bold", "an **unclosed bold"},
		{"[not a link](ftp://x) [x](javascript:alert(1))", "[not a link](ftp://x) [x](javascript:alert(1))", "[not a link](ftp://x) [x](javascript:alert(1))"},
		{"```json\n{\"a\": \"**b**\"}\n```\nafter", "<code json>{\"a\": \"**b**\"}</code>\nafter", "{\"a\": \"**b**\"}\nafter"},
		{"ünïcode **ök**", "ünïcode <b>ök</b>", "ünïcode ök"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := FormatText(tt.in, tagged); got != tt.tagged {
				t.Errorf("tagged:\n got %q\nwant %q", got, tt.tagged)
			}
			if got := FormatText(tt.in, PlainText); got != tt.plain {
				t.Errorf("plain:\n got %q\nwant %q", got, tt.plain)
			}
		})
	}
}

func TestProgressBar(t *testing.T) {
	tests := []struct {
		p    Progress
		want string
	}{
		{Progress{0, 8}, "░░░░░░░░ 0/8 (0%)"},
		{Progress{3, 8}, "▓▓▓░░░░░ 3/8 (38%)"},
		{Progress{8, 8}, "▓▓▓▓▓▓▓▓ 8/8 (100%)"},
		{Progress{9, 8}, "▓▓▓▓▓▓▓▓ 9/8 (113%)"},
		{Progress{0, 0}, "░░░░░░░░ 0/0 (0%)"},
	}
	for _, tt := range tests {
		if got := tt.p.Bar(8); got != tt.want {
			t.Errorf("%+v.Bar(8) = %q, want %q", tt.p, got, tt.want)
		}
	}
}
