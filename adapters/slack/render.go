package slack

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/coachbot/coachbot/bot"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks),
// counted the way Slack counts: in UTF-16 code units.
const (
	maxBlocks        = 50   // blocks in one message
	maxHeaderText    = 150  // a header block's plain_text
	maxSectionText   = 3000 // a section's text
	maxFields        = 10   // fields in one section
	maxFieldText     = 2000 // one section field
	maxContextText   = 3000 // one context element's text
	maxButtons       = 25   // elements in one actions block
	maxButtonLabel   = 75   // a button's plain_text
	maxButtonValue   = 2000 // a button's value
	maxAltText       = 2000 // an image's alt_text
	maxFallbackText  = 300  // the top-level text: a notification's summary
	progressBarWidth = 20
)

// ButtonActionPrefix starts the action_id of every button Render makes
// ("cmd:0", "cmd:1", …). Presses of other actions are not ours and are
// ignored.
const ButtonActionPrefix = "cmd:"

// SelectActionPrefix starts the action_id of the checkbox group Render
// makes for a Reply.Select; the rest of the action_id is the command the
// ticked values are appended to (DESIGN §2).
const SelectActionPrefix = "sel:"

// Slack's limits on a checkbox group.
const (
	maxCheckboxes  = 10  // options
	maxOptionText  = 75  // an option's text
	maxOptionValue = 150 // an option's value
	maxActionID    = 255 // an action_id
)

// Mrkdwn writes the Reply markdown subset in Slack's mrkdwn: *bold*,
// _italics_, <url|text> links, "• " bullets, ``` fences, and &, <, > escaped
// everywhere so that user-visible text can never form a mention or a link.
var Mrkdwn = bot.TextFormat{
	Bold:   func(s string) string { return "*" + s + "*" },
	Italic: func(s string) string { return "_" + s + "_" },
	Link: func(text, url string) string {
		u := escapeURL(url)
		if text == escapeMrkdwn(url) {
			return "<" + u + ">"
		}
		return "<" + u + "|" + text + ">"
	},
	Bullet: "• ",
	Escape: escapeMrkdwn,
	Code:   func(_, body string) string { return "```\n" + escapeMrkdwn(body) + "\n```" },
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeMrkdwn escapes the three characters Slack treats as control
// sequences in message text.
func escapeMrkdwn(s string) string {
	// A byte loop: this runs on every plain stretch of every text, and
	// strings.ContainsAny builds a set per call.
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '<', '>':
			return mrkdwnEscaper.Replace(s)
		}
	}
	return s
}

// urlEscaper keeps a link's address from ending the <url|text> sequence
// early: the pipe and the angle brackets are percent-encoded, & is escaped
// as Slack asks for all text.
var urlEscaper = strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C")

func escapeURL(u string) string {
	if !strings.ContainsAny(u, "&<>|") {
		return u
	}
	return urlEscaper.Replace(u)
}

// Render turns a Reply into a Slack message: Block Kit blocks and a text
// fallback for notifications and clients that cannot show blocks. The
// response type is "ephemeral" (only the asker sees it) unless the reply is
// Public. The same message answers slash commands over HTTP and Socket
// Mode, follows up button presses and is posted as a reminder DM.
func Render(r bot.Reply) slack.Msg {
	text := formatText(r.Text) // once: the blocks and the fallback share it
	msg := slack.Msg{
		ResponseType: slack.ResponseTypeEphemeral,
		Text:         fallback(r, text),
		Blocks:       slack.Blocks{BlockSet: blocks(r, text)},
	}
	if r.Public {
		msg.ResponseType = slack.ResponseTypeInChannel
	}
	return msg
}

// Blocks renders a Reply as Block Kit blocks, in reading order: a header
// (the title), sections (the text, split at Slack's 3000-character limit on
// line boundaries), fields (inline ones side by side, up to ten per
// section), a progress bar, an image, the footer as a context line, and the
// buttons in actions blocks. Each button's value is its command line, so a
// press dispatches exactly what a user could type. Every Slack limit is
// respected: over-long parts are cut with "…", never rejected by Slack.
func Blocks(r bot.Reply) []slack.Block { return blocks(r, formatText(r.Text)) }

// formatText is the reply's text in mrkdwn, "" when it is blank.
func formatText(md string) string {
	if strings.TrimSpace(md) == "" {
		return ""
	}
	return bot.FormatText(md, Mrkdwn)
}

// blocks is Blocks with the reply's text already formatted.
func blocks(r bot.Reply, text string) []slack.Block {
	var head, tail []slack.Block
	if t := strings.TrimSpace(r.Title); t != "" {
		head = append(head, slack.NewHeaderBlock(plain(clip(t, maxHeaderText))))
	}
	if r.Progress != nil {
		tail = append(tail, slack.NewContextBlock("progress", mrkdwn(clip(r.Progress.Bar(progressBarWidth), maxContextText))))
	}
	if r.Image != "" {
		alt := strings.TrimSpace(r.Title)
		if alt == "" {
			alt = "Image"
		}
		tail = append(tail, slack.NewImageBlock(r.Image, clip(alt, maxAltText), "image", nil))
	}
	if f := strings.TrimSpace(r.Footer); f != "" {
		tail = append(tail, slack.NewContextBlock("footer", mrkdwn(clip(bot.FormatText(f, Mrkdwn), maxContextText))))
	}
	if b := selectBlock(r.Select); b != nil {
		tail = append(tail, b)
	}
	tail = append(tail, buttonBlocks(r.Buttons)...)

	// The text and the fields share what the 50-block limit leaves.
	body := append(textSections(text), fieldSections(r.Fields)...)
	if room := maxBlocks - len(head) - len(tail); len(body) > room {
		body = body[:max(room, 0)]
		if room > 0 {
			body[room-1] = slack.NewSectionBlock(mrkdwn("…"), nil, nil)
		}
	}
	blocks := make([]slack.Block, 0, len(head)+len(body)+len(tail))
	blocks = append(blocks, head...)
	blocks = append(blocks, body...)
	return append(blocks, tail...)
}

// textSections renders the formatted text as one section per 3000
// characters.
func textSections(text string) []slack.Block {
	var blocks []slack.Block
	for _, chunk := range splitText(text, maxSectionText) {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(chunk), nil, nil))
	}
	return blocks
}

// fieldSections renders fields: runs of inline fields become section
// fields (two columns in Slack, ten per section), a wide field a section of
// its own.
func fieldSections(fields []bot.Field) []slack.Block {
	var (
		blocks []slack.Block
		run    []*slack.TextBlockObject
	)
	flush := func() {
		if len(run) > 0 {
			blocks = append(blocks, slack.NewSectionBlock(nil, run, nil))
			run = nil
		}
	}
	for _, f := range fields {
		text := fieldText(f)
		if text == "" {
			continue
		}
		if !f.Inline {
			flush()
			for _, chunk := range splitText(text, maxSectionText) {
				blocks = append(blocks, slack.NewSectionBlock(mrkdwn(chunk), nil, nil))
			}
			continue
		}
		run = append(run, mrkdwn(clip(text, maxFieldText)))
		if len(run) == maxFields {
			flush()
		}
	}
	flush()
	return blocks
}

// fieldText writes a field as its bold name over its value.
func fieldText(f bot.Field) string {
	name := strings.TrimSpace(f.Name)
	value := strings.TrimSpace(bot.FormatText(f.Value, Mrkdwn))
	switch {
	case name == "":
		return value
	case value == "":
		return "*" + escapeMrkdwn(name) + "*"
	}
	return "*" + escapeMrkdwn(name) + "*\n" + value
}

// selectBlock renders a Select as a section with a checkbox group beside
// its placeholder; nil when there is none or no option fits. Options past
// Slack's ten, or with values too long to carry, are left out, not cut.
func selectBlock(s *bot.Select) slack.Block {
	if s == nil {
		return nil
	}
	id := SelectActionPrefix + strings.TrimSpace(s.Command)
	if id == SelectActionPrefix || len(id) > maxActionID {
		return nil
	}
	var opts []*slack.OptionBlockObject
	for _, o := range s.Options {
		if o.Value == "" || len(o.Value) > maxOptionValue || len(opts) == maxCheckboxes {
			continue
		}
		label := strings.TrimSpace(o.Label)
		if label == "" {
			label = o.Value
		}
		opts = append(opts, slack.NewOptionBlockObject(o.Value, plain(clip(label, maxOptionText)), nil))
	}
	if len(opts) == 0 {
		return nil
	}
	text := strings.TrimSpace(s.Placeholder)
	if text == "" {
		text = "Choose"
	}
	return slack.NewSectionBlock(mrkdwn(escapeMrkdwn(clip(text, maxSectionText))), nil,
		slack.NewAccessory(slack.NewCheckboxGroupsBlockElement(id, opts...)), slack.SectionBlockOptionBlockID("select"))
}

// buttonBlocks puts the buttons in actions blocks of at most 25. A button
// carries its command line as its value and a unique "cmd:<index>"
// action_id.
func buttonBlocks(buttons []bot.Button) []slack.Block {
	var blocks []slack.Block
	var elems []slack.BlockElement
	flush := func() {
		if len(elems) == 0 {
			return
		}
		id := "buttons"
		if n := len(blocks); n > 0 {
			id += "-" + strconv.Itoa(n+1)
		}
		blocks = append(blocks, slack.NewActionBlock(id, elems...))
		elems = nil
	}
	for i, b := range buttons {
		if strings.TrimSpace(b.Command) == "" || len(b.Command) > maxButtonValue {
			continue // nothing to dispatch, or more than Slack carries
		}
		label := strings.TrimSpace(b.Label)
		if label == "" {
			label = b.Command
		}
		btn := slack.NewButtonBlockElement(ButtonActionPrefix+strconv.Itoa(i), b.Command, plain(clip(label, maxButtonLabel)))
		switch b.Style {
		case bot.Primary:
			btn = btn.WithStyle(slack.StylePrimary)
		case bot.Danger:
			btn = btn.WithStyle(slack.StyleDanger)
		}
		elems = append(elems, btn)
		if len(elems) == maxButtons {
			flush()
		}
	}
	flush()
	return blocks
}

// fallback is the message's top-level text. Beside blocks, Slack uses it
// only for notifications (a phone shows nothing else), so it is a summary:
// the title and the text's first paragraph, at most maxFallbackText. A
// copy of the whole text made every long answer twice its size: 4.9 KB
// for a roadmap step, which then took two writes to the socket.
func fallback(r bot.Reply, text string) string {
	title := escapeMrkdwn(strings.TrimSpace(r.Title))
	text = strings.TrimSpace(text)
	if first, _, more := strings.Cut(text, "\n\n"); more {
		text = first
	}
	switch {
	case title != "" && text != "":
		text = title + "\n" + text
	case title != "":
		text = title
	case text == "" && strings.TrimSpace(r.Footer) != "":
		text = bot.FormatText(strings.TrimSpace(r.Footer), Mrkdwn)
	}
	if chunks := splitText(text, maxFallbackText); len(chunks) > 1 {
		return clip(chunks[0], maxFallbackText-1) + "…"
	}
	return text
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// textLen counts s the way Slack's limits do: in UTF-16 code units.
func textLen(s string) int {
	n := 0
	if !hasMultiByte(s) {
		return len(s)
	}
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// fits reports whether s is at most limit UTF-16 units. A string takes
// at least as many bytes as units, so short ones need no counting.
func fits(s string, limit int) bool {
	return len(s) <= limit || textLen(s) <= limit
}

// hasMultiByte reports whether s holds anything but ASCII.
func hasMultiByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// clip shortens s to at most limit units, ending it with "…" when cut. It
// cuts at the last space when that keeps most of the text, so words stay
// whole.
func clip(s string, limit int) string {
	if fits(s, limit) {
		return s
	}
	head := cutUnits(s, limit-1)
	if rest := s[len(head):]; rest != "" && rest[0] != ' ' && rest[0] != '\n' {
		if sp := strings.LastIndexAny(head, " \n"); sp > len(head)/2 {
			head = head[:sp]
		}
	}
	return strings.TrimRight(head, " \n") + "…"
}

// splitText cuts formatted mrkdwn into chunks of at most limit units, at
// line boundaries where it can (a longer line is cut where it must be). A
// code block cut in two is closed at the end of one chunk and reopened at
// the start of the next, so both halves still render as code. Blank chunks
// are dropped.
func splitText(s string, limit int) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if fits(s, limit) {
		return []string{s}
	}
	const fence = "```"
	var (
		chunks  []string
		cur     []string
		curLen  int
		inCode  bool // the lines in cur end inside a code block
		content bool // cur holds more than fences and blank lines
	)
	flush := func() {
		if content {
			text := strings.Join(cur, "\n")
			if inCode {
				text += "\n" + fence
			}
			chunks = append(chunks, strings.Trim(text, "\n"))
		}
		cur, curLen, content = nil, 0, false
		if inCode {
			cur, curLen = []string{fence}, len(fence)
		}
	}
	add := func(line string, isFence bool) {
		need := func() int {
			n := curLen + textLen(line)
			if len(cur) > 0 {
				n++
			}
			if inCode != isFence { // still (or newly) in a block: room to close it
				n += len(fence) + 1
			}
			return n
		}
		if need() > limit && content {
			flush()
		}
		if len(cur) > 0 {
			curLen++
		}
		cur = append(cur, line)
		curLen += textLen(line)
		content = content || !isFence && strings.TrimSpace(line) != ""
		if isFence {
			inCode = !inCode
		}
	}
	// room is the longest line that fits a chunk with a reopened and a
	// closing fence around it.
	room := max(limit-2*(len(fence)+1), 1)
	for _, line := range strings.Split(s, "\n") {
		for line != "" && textLen(line) > room {
			head := cutUnits(line, room)
			if head == "" { // room is smaller than one rune: take one anyway
				_, size := utf8.DecodeRuneInString(line)
				head = line[:size]
			}
			add(head, false)
			line = line[len(head):]
		}
		add(line, strings.HasPrefix(line, fence))
	}
	flush()
	return chunks
}

// cutUnits returns the longest prefix of s of at most n UTF-16 units.
func cutUnits(s string, n int) string {
	units := 0
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if units+w > n {
			return s[:i]
		}
		units += w
	}
	return s
}

// wireMessage is a message as Slack reads it in a command's HTTP answer and
// a Socket Mode acknowledgement. slack.Msg would also send empty metadata
// and message fields that do not belong there.
type wireMessage struct {
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

func toWire(m slack.Msg) wireMessage {
	return wireMessage{ResponseType: m.ResponseType, Text: m.Text, Blocks: m.Blocks.BlockSet}
}

// toWebhook is m as a response_url post: a new message next to the
// original, which stays as it was.
func toWebhook(m slack.Msg) *slack.WebhookMessage {
	w := &slack.WebhookMessage{ResponseType: m.ResponseType, Text: m.Text}
	if len(m.Blocks.BlockSet) > 0 {
		w.Blocks = &slack.Blocks{BlockSet: m.Blocks.BlockSet}
	}
	return w
}
