package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextFormat says how a platform writes the markdown subset of Reply texts.
// Adapters fill one in and call FormatText, so the subset is parsed in one
// place only.
type TextFormat struct {
	Bold   func(s string) string          // s is already escaped
	Italic func(s string) string          // s is already escaped
	Link   func(text, url string) string  // text is already escaped; url is raw
	Bullet string                         // replaces "- " at the start of a line
	Escape func(s string) string          // plain text; nil leaves it as is
	Code   func(lang, body string) string // a fenced block; nil keeps the fence
}

// PlainText writes the subset as plain text: no emphasis, links as
// "text <url>" (titles may hold parentheses themselves), bullets as "•".
// The console uses it.
var PlainText = TextFormat{
	Bold:   func(s string) string { return s },
	Italic: func(s string) string { return s },
	Link: func(text, url string) string {
		if text == url {
			return url
		}
		return text + " <" + url + ">"
	},
	Bullet: "• ",
	Code:   func(_, body string) string { return body },
}

// FormatText rewrites md, written in the Reply markdown subset (**bold**,
// _italics_, [text](url), "- " bullets and ``` fenced blocks), in the syntax f
// describes.
func FormatText(md string, f TextFormat) string {
	var out strings.Builder
	out.Grow(len(md) + len(md)/4) // links and escapes make it a little longer
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if i > 0 {
			out.WriteByte('\n')
		}
		if lang, ok := strings.CutPrefix(line, "```"); ok {
			// Copy the block verbatim up to its closing fence.
			var body []string
			j := i + 1
			for ; j < len(lines) && !strings.HasPrefix(lines[j], "```"); j++ {
				body = append(body, lines[j])
			}
			block := strings.Join(body, "\n")
			if f.Code != nil {
				out.WriteString(f.Code(strings.TrimSpace(lang), block))
			} else {
				out.WriteString("```" + lang + "\n" + block + "\n```")
			}
			i = j
			continue
		}
		if rest, ok := strings.CutPrefix(line, "- "); ok {
			out.WriteString(f.Bullet)
			line = rest
		}
		formatInline(&out, line, f)
	}
	return out.String()
}

// formatInline writes one line's bold, italics and links.
func formatInline(out *strings.Builder, s string, f TextFormat) {
	esc := f.Escape
	if esc == nil {
		esc = func(s string) string { return s }
	}
	plain := 0 // start of the pending plain text
	flush := func(end int) { out.WriteString(esc(s[plain:end])) }
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "**"):
			if j := strings.Index(s[i+2:], "**"); j > 0 {
				flush(i)
				out.WriteString(f.Bold(formatNested(s[i+2:i+2+j], f)))
				i += 2 + j + 2
				plain = i
				continue
			}
		case s[i] == '_' && boundaryBefore(s, i):
			if j := closingUnderscore(s, i+1); j > i+1 {
				flush(i)
				out.WriteString(f.Italic(formatNested(s[i+1:j], f)))
				i = j + 1
				plain = i
				continue
			}
		case s[i] == '[':
			if text, url, n, ok := parseLink(s[i:]); ok {
				flush(i)
				out.WriteString(f.Link(esc(text), url))
				i += n
				plain = i
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	flush(len(s))
}

// formatNested formats the inside of an emphasis, which may hold a link.
func formatNested(s string, f TextFormat) string {
	var b strings.Builder
	formatInline(&b, s, TextFormat{Bold: f.Bold, Italic: f.Italic, Link: f.Link, Escape: f.Escape})
	return b.String()
}

// boundaryBefore reports whether an underscore at i may open italics: at the
// start or after a space or punctuation, so snake_case and Asia/New_York stay
// as they are.
func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsSpace(r) || r == '(' || r == '"'
}

// closingUnderscore finds the underscore that closes italics opened before
// start: followed by the end, a space or punctuation.
func closingUnderscore(s string, start int) int {
	for j := start; j < len(s); j++ {
		if s[j] != '_' {
			continue
		}
		if j+1 == len(s) {
			return j
		}
		r, _ := utf8.DecodeRuneInString(s[j+1:])
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return j
		}
	}
	return -1
}

// parseLink reads "[text](url)" at the start of s.
func parseLink(s string) (text, url string, n int, ok bool) {
	closeText := strings.Index(s, "](")
	if closeText < 1 || strings.ContainsAny(s[1:closeText], "[]") {
		return "", "", 0, false
	}
	closeURL := strings.IndexByte(s[closeText+2:], ')')
	if closeURL < 1 {
		return "", "", 0, false
	}
	url = s[closeText+2 : closeText+2+closeURL]
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") || strings.ContainsAny(url, " \t") {
		return "", "", 0, false
	}
	return s[1:closeText], url, closeText + 2 + closeURL + 1, true
}
