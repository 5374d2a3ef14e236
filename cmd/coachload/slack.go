package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The Slack workspace the load comes from. The values have Slack's shapes
// (adapters/slack/testdata/slash-command.form) but belong to no real
// workspace.
const (
	slackTeamID     = "T0LOAD0001"
	slackTeamDomain = "coachload"
	slackChannelID  = "C0LOAD0001"
	slackChannel    = "general"
	slackAppID      = "A0LOAD0001"
	slackToken      = "coachloadVerificationTok" // the legacy verification token; coachbot checks signatures instead
	slackCommand    = "/coach"
	slackPath       = "/slack/commands"
)

// slackHooks is the base of the response_url of every command: a loopback
// port nothing listens on. coachbot answers inline and posts to
// response_url only when a command overruns its inline budget (2.6 s); the
// post then fails at once, on this machine, and reaches no one.
const slackHooks = "http://127.0.0.1:1/commands/" + slackTeamID + "/"

// slackGen makes signed slash commands: POST /slack/commands with the form
// Slack sends, signed with the app's signing secret as Slack signs it.
type slackGen struct {
	secret []byte
	// head is the form up to user_id=, the same for every request.
	head []byte
	// tails are, per command line, the form from &command= to
	// &response_url= (command, text), pre-encoded.
	tails [][]byte
}

func newSlackGen(secret string, lines []string) *slackGen {
	g := &slackGen{secret: []byte(secret)}
	// Slack's field order (api.slack.com/interactivity/slash-commands):
	// token, team_id, team_domain, channel_id, channel_name, user_id,
	// user_name, command, text, api_app_id, response_url, trigger_id.
	g.head = []byte("token=" + slackToken + "&team_id=" + slackTeamID + "&team_domain=" + slackTeamDomain +
		"&channel_id=" + slackChannelID + "&channel_name=" + slackChannel + "&user_id=")
	for _, line := range lines {
		g.tails = append(g.tails, []byte("&command="+url.QueryEscape(slackCommand)+"&text="+url.QueryEscape(line)+
			"&api_app_id="+slackAppID+"&is_enterprise_install=false&response_url="))
	}
	return g
}

func (g *slackGen) path() string { return slackPath }

func (g *slackGen) newBuilder() builder {
	return &slackBuilder{g: g, mac: hmac.New(sha256.New, g.secret)}
}

// check: a command's answer is a 2xx with a JSON message. coachbot answers
// a command that overran its inline budget with an empty 200 and posts the
// answer to response_url later: Slack accepts that, so it counts as a
// success, and as deferred (the post itself goes nowhere here).
func (g *slackGen) check(body []byte) (ok, deferred bool) {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return true, true
	}
	return b[0] == '{', false
}

// slackBuilder builds one worker's requests. It keeps the HMAC so that
// signing allocates nothing but the signature.
type slackBuilder struct {
	g   *slackGen
	mac hash.Hash
	sum []byte
}

// slackUserID is user u of the pool as a Slack user id: U and ten
// characters of [0-9A-Z], like Slack's own.
func slackUserID(u uint64) string {
	s := strings.ToUpper(strconv.FormatUint(u, 36))
	if len(s) < 9 {
		s = strings.Repeat("0", 9-len(s)) + s
	}
	return "UL" + s
}

func (b *slackBuilder) build(seq, user uint64, line int, now time.Time) ([]byte, http.Header) {
	g := b.g
	uid := slackUserID(user)
	// A fresh slice per request: the transport may still hold the last one.
	body := make([]byte, 0, len(g.head)+len(g.tails[line])+192)
	body = append(body, g.head...)
	body = append(body, uid...)
	body = append(body, "&user_name=load.user."...)
	body = strconv.AppendUint(body, user, 10)
	body = append(body, g.tails[line]...)
	// response_url, escaped as Slack escapes it: /commands/T…/<seq>/<hex>
	resp := url.QueryEscape(slackHooks + strconv.FormatUint(seq, 10) + "/coachload")
	body = append(body, resp...)
	// trigger_id: "<digits>.<digits>.<hex>", unique per request.
	body = append(body, "&trigger_id="...)
	body = strconv.AppendUint(body, seq, 10)
	body = append(body, '.')
	body = strconv.AppendUint(body, user, 10)
	body = append(body, '.')
	body = strconv.AppendUint(body, uint64(now.UnixNano())&0xffffffffffff, 16)

	ts := strconv.FormatInt(now.Unix(), 10)
	h := make(http.Header, 4)
	h["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	h["X-Slack-Request-Timestamp"] = []string{ts}
	h["X-Slack-Signature"] = []string{b.sign(ts, body)}
	return body, h
}

// sign is Slack's v0 signature: "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + timestamp + ":" + body)).
func (b *slackBuilder) sign(ts string, body []byte) string {
	b.mac.Reset()
	b.mac.Write([]byte("v0:"))
	b.mac.Write([]byte(ts))
	b.mac.Write([]byte(":"))
	b.mac.Write(body)
	b.sum = b.mac.Sum(b.sum[:0])
	return "v0=" + hex.EncodeToString(b.sum)
}
