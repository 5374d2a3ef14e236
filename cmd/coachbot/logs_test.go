package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestLogsHoldNoSecrets runs the whole server (Redis with a password, Slack
// over HTTP, Discord HTTP interactions, both against a local fake of their
// APIs) at debug level in each log format, drives commands, button presses,
// forged requests and a reminder delivery on each platform through it, and
// then greps the whole log: no token, secret, password, raw user id,
// response_url, interaction token or message text may be in it. It also
// holds the log to its promise: one "command" line per handled command with
// the hashed user, the command, the outcome and the time taken, and a
// "reminder" line per delivery with the hashed user.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) { testLogsHoldNoSecrets(t, format) })
	}
}

// logWant is one command line the log must hold.
type logWant struct {
	User, Command, Outcome string
}

func testLogsHoldNoSecrets(t *testing.T, format string) {
	// Redis first: redistest reads COACH_TEST_REQUIRE_REDIS and
	// COACH_TEST_REDIS_URL, which clearEnv below unsets.
	srv := redistest.Start(t)
	redisURL, redisPassword := passwordProtect(t, srv)

	// Every secret and identifier is a fresh random string, so that a match
	// in the log cannot be a coincidence.
	var (
		slackBotToken   = "xoxb-" + randomHex(t, 12) + "-" + randomHex(t, 12)
		slackSecret     = randomHex(t, 16)
		slackVerifToken = "vt" + randomHex(t, 12) // the deprecated token field of Slack's payloads
		slackTeam       = "T" + strings.ToUpper(randomHex(t, 5))
		slackUID        = "U0LOG" + strings.ToUpper(randomHex(t, 5))
		hookSecret      = randomHex(t, 12)
		discordToken    = "MTE" + randomHex(t, 20) + ".G" + randomHex(t, 3) + "." + randomHex(t, 16)
		discordAppID    = randomSnowflake(t)
		discordUID      = randomSnowflake(t)
		discordDM       = randomSnowflake(t)
		slackMarker     = "MARKERslack" + randomHex(t, 6)
		discordMarker   = "MARKERdiscord" + randomHex(t, 6)
		secretKey       = randomHex(t, 32) // COACH_SECRET_KEY: 32 bytes in hex
		// A user whose record in Redis does not decode: start-up's
		// reconcile reports it, and must not name them.
		brokenTeam = "T" + strings.ToUpper(randomHex(t, 5))
		brokenUID  = "U0BAD" + strings.ToUpper(randomHex(t, 5))
	)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, err := ed25519.GenerateKey(nil) // signs the forged requests
	if err != nil {
		t.Fatal(err)
	}
	slackUser, discordUser := bot.SlackUser(slackTeam, slackUID), bot.DiscordUser(discordUID)
	// The pseudonyms are keyed (DESIGN §5): computed here from the key, so
	// that only someone holding COACH_SECRET_KEY can link them to ids.
	slackHash, discordHash := keyedPseudonym(t, secretKey, slackUser), keyedPseudonym(t, secretKey, discordUser)
	if unkeyed := sha256.Sum256([]byte(slackUser)); slackHash == hex.EncodeToString(unkeyed[:6]) {
		t.Fatal("the keyed pseudonym is the unkeyed SHA-256 prefix")
	}
	// The broken record, in layout 2's form: shard 0's "r:" key, the short
	// id "s:TEAM:USER". Reconcile scans every shard's records.
	ropt, err := redis.ParseURL(redisURL) // with the password
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	if err := rdb.Set(context.Background(), "{c0}:r:s:"+brokenTeam+":"+brokenUID, "not a record", 0).Err(); err != nil {
		t.Fatal(err)
	}

	api := newFakeAPIs(t, slackBotToken, discordToken, discordDM)
	hookURL := api.srv.URL + "/hooks/commands/" + slackTeam + "/" + hookSecret

	clearEnv(t)
	for k, v := range map[string]string{
		"COACH_REDIS_URL":            redisURL,
		"COACH_DATA_DIR":             t.TempDir(),
		"COACH_HTTP_ADDR":            "127.0.0.1:0",
		"COACH_SLACK_BOT_TOKEN":      slackBotToken,
		"COACH_SLACK_SIGNING_SECRET": slackSecret,
		"COACH_SLACK_API_URL":        api.srv.URL + "/slack/api/",
		"COACH_DISCORD_TOKEN":        discordToken,
		"COACH_DISCORD_APP_ID":       discordAppID,
		"COACH_DISCORD_MODE":         "http",
		"COACH_DISCORD_PUBLIC_KEY":   hex.EncodeToString(pub),
		"COACH_DISCORD_API_URL":      api.srv.URL + "/discord/api/v10",
		"COACH_LOG_LEVEL":            "debug",
		"COACH_LOG_FORMAT":           format,
		"COACH_SECRET_KEY":           secretKey,
	} {
		t.Setenv(k, v)
	}
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	// The bot's clock runs five minutes behind: a reminder set "in 1m" is
	// then already due by Redis's clock, which is the one claims go by, so
	// the scheduler delivers it at its next look instead of a minute later.
	clock := bottest.NewClock(time.Now().Add(-5 * time.Minute))
	logs := bottest.NewBuffer()
	m := &Main{Config: cfg, Stdin: strings.NewReader(""), Stdout: bottest.NewBuffer(), Stderr: logs, Clock: clock, User: "ana"}
	base, stop := startMain(t, m)

	api.waitFor(t, "discord PUT /discord/api/v10/applications/"+discordAppID+"/commands")

	var want []logWant // the command lines the log must hold, one per handled command

	// Slack: signed slash commands, one forged, and a button press.
	slackCmd := func(command, text string) url.Values {
		return url.Values{
			"token": {slackVerifToken}, "team_id": {slackTeam}, "team_domain": {"example"},
			"channel_id": {"D0" + strings.ToUpper(randomHex(t, 4))}, "channel_name": {"directmessage"},
			"user_id": {slackUID}, "user_name": {"learner"}, "command": {command}, "text": {text},
			"api_app_id": {"A0" + strings.ToUpper(randomHex(t, 4))}, "response_url": {hookURL},
			"trigger_id": {"1.2." + randomHex(t, 4)},
		}
	}
	// A daily reminder twelve hours away: its zone comes from users.info,
	// and it will not come due during the test.
	daily := clock.Now().In(loadZoneT(t, "Europe/London")).Add(12 * time.Hour).Format("15:04")
	for _, tc := range []struct {
		name      string
		form      url.Values
		secret    string
		status    int
		answer    string
		cmd, outc string
	}{
		{"salary", slackCmd("/salary", "mid"), slackSecret, 200, "₹10 L – ₹14 L", "salary", "ok"},
		{"unknown skill", slackCmd("/coach", "skills "+slackMarker), slackSecret, 200, "know the skill", "skills", "invalid"},
		{"remind in", slackCmd("/coach", "remind in 1m"), slackSecret, 200, "Reminder set", "remind in", "ok"},
		{"remind daily", slackCmd("/coach", "remind daily "+daily), slackSecret, 200, "Europe/London", "remind daily", "ok"},
		{"forged", slackCmd("/coach", "progress"), randomHex(t, 16), 401, "", "", ""},
	} {
		code, body := postSlack(t, base+"/slack/commands", tc.form.Encode(), tc.secret)
		if code != tc.status || !strings.Contains(body, tc.answer) {
			t.Errorf("slack %s: %d %s; want %d with %q", tc.name, code, body, tc.status, tc.answer)
		}
		if tc.status == 200 {
			want = append(want, logWant{slackHash, tc.cmd, tc.outc})
		}
	}
	press, err := json.Marshal(map[string]any{
		"type":         "block_actions",
		"token":        slackVerifToken,
		"user":         map[string]any{"id": slackUID, "username": "learner", "name": "learner", "team_id": slackTeam},
		"team":         map[string]any{"id": slackTeam, "domain": "example"},
		"api_app_id":   "A0" + strings.ToUpper(randomHex(t, 4)),
		"trigger_id":   "1.2." + randomHex(t, 4),
		"container":    map[string]any{"type": "message", "message_ts": "1548261231.000200", "channel_id": "D0LOG"},
		"channel":      map[string]any{"id": "D0LOG", "name": "directmessage"},
		"response_url": hookURL,
		"actions": []any{map[string]any{
			"action_id": "cmd:0", "block_id": "buttons", "value": "checkin", "type": "button",
			"text": map[string]any{"type": "plain_text", "text": "Done for today"}, "action_ts": "1548426417.840180",
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pressBody := url.Values{"payload": {string(press)}}.Encode()
	if code, body := postSlack(t, base+"/slack/interactions", pressBody, randomHex(t, 16)); code != 401 {
		t.Errorf("forged slack button press: %d %s, want 401", code, body)
	}
	if code, body := postSlack(t, base+"/slack/interactions", pressBody, slackSecret); code != 200 {
		t.Errorf("slack button press: %d %s, want 200", code, body)
	}
	want = append(want, logWant{slackHash, "checkin", "ok"})
	api.waitFor(t, "hook /hooks/commands/") // the press's answer, posted after its command line was logged

	// Discord: a PING, application commands, a button, forged requests.
	dcmd := func(sub string, group string, opts ...any) map[string]any {
		leaf := map[string]any{"name": sub, "type": 1}
		if len(opts) > 0 {
			leaf["options"] = opts
		}
		top := leaf
		if group != "" {
			top = map[string]any{"name": group, "type": 2, "options": []any{leaf}}
		}
		return map[string]any{"id": randomSnowflake(t), "name": "coach", "type": 1, "options": []any{top}}
	}
	opt := func(name, value string) map[string]any {
		return map[string]any{"name": name, "type": 3, "value": value}
	}
	interaction := func(typ int, data map[string]any) (payload []byte, token string) {
		token = "aW50ZXJhY3Rpb246" + randomHex(t, 24)
		i := map[string]any{
			"id": randomSnowflake(t), "application_id": discordAppID, "type": typ, "token": token, "version": 1,
		}
		if typ != 1 {
			i["channel_id"] = discordDM
			i["channel"] = map[string]any{"id": discordDM, "type": 1}
			i["context"] = 1
			i["locale"] = "en-GB"
			i["user"] = map[string]any{"id": discordUID, "username": "learner", "global_name": "Learner", "discriminator": "0"}
			i["data"] = data
		}
		payload, err := json.Marshal(i)
		if err != nil {
			t.Fatal(err)
		}
		return payload, token
	}
	interactionTokens := map[string]string{} // the name of each interaction -> its token
	for _, tc := range []struct {
		name      string
		typ       int
		data      map[string]any
		key       ed25519.PrivateKey
		status    int
		answer    string
		cmd, outc string
	}{
		{"ping", 1, nil, priv, 200, `"type":1`, "", ""},
		{"forged ping", 1, nil, otherPriv, 401, "", "", ""},
		{"salary", 2, dcmd("salary", "", opt("level", "mid")), priv, 200, "₹10 L – ₹14 L", "salary", "ok"},
		{"unknown skill", 2, dcmd("skills", "", opt("skill", discordMarker)), priv, 200, "know the skill", "skills", "invalid"},
		{"remind in", 2, dcmd("in", "remind", opt("delay", "1m")), priv, 200, "Reminder set", "remind in", "ok"},
		{"button", 3, map[string]any{"component_type": 2, "custom_id": "progress"}, priv, 200, `"type":4`, "progress", "ok"},
		{"forged command", 2, dcmd("export", ""), otherPriv, 401, "", "", ""},
	} {
		payload, token := interaction(tc.typ, tc.data)
		interactionTokens[tc.name] = token
		code, body := postDiscord(t, base+"/discord/interactions", payload, tc.key)
		if code != tc.status || !strings.Contains(body, tc.answer) {
			t.Errorf("discord %s: %d %s; want %d with %q", tc.name, code, body, tc.status, tc.answer)
		}
		if tc.status == 200 && tc.cmd != "" {
			want = append(want, logWant{discordHash, tc.cmd, tc.outc})
		}
	}

	// The reminders: move the bot's clock past them, and wait until each
	// platform's fake has received the DM.
	clock.Set(time.Now())
	api.waitFor(t, "slack chat.postMessage")
	api.waitFor(t, "discord POST /discord/api/v10/channels/"+discordDM+"/messages")

	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q", code, body)
	}

	stop() // every log line is written once the server has stopped
	log := logs.String()
	defer func() {
		if t.Failed() {
			t.Logf("the whole log (%s):\n%s", format, log)
		}
	}()

	t.Run("no secrets", func(t *testing.T) {
		secrets := []struct{ what, value string }{
			{"the Slack bot token", slackBotToken},
			{"the Slack signing secret", slackSecret},
			{"the Slack verification token", slackVerifToken},
			{"the Slack response_url", hookURL},
			{"the secret part of the Slack response_url", hookSecret},
			{"the raw Slack user id", slackUID},
			{"the Discord bot token", discordToken},
			{"the Discord private key", hex.EncodeToString(priv)},
			{"the Discord private key's seed", hex.EncodeToString(priv.Seed())},
			{"the raw Discord user id", discordUID},
			{"the raw Slack user id of the broken record", brokenUID},
			{"the Slack team id of the broken record", brokenTeam},
			{"COACH_SECRET_KEY", secretKey},
			// The two markers are what the users typed. At the time of
			// writing bot.Handle (bot/bot.go) adds the error to the command
			// line as err=, and an Invalid error's message quotes the
			// user's words ("I don't know the skill \"…\""), so these fail.
			{"the Slack message text (an unknown skill's name)", slackMarker},
			{"the Discord message text (an unknown skill's name)", discordMarker},
		}
		if redisPassword != "" {
			secrets = append(secrets, struct{ what, value string }{"the Redis password", redisPassword})
		}
		for _, name := range slices.Sorted(maps.Keys(interactionTokens)) {
			secrets = append(secrets, struct{ what, value string }{"the Discord interaction token of the " + name, interactionTokens[name]})
		}
		for _, s := range secrets {
			t.Run(s.what, func(t *testing.T) {
				if lines := linesWith(log, s.value); len(lines) > 0 {
					t.Errorf("log holds %s (%q) in %d line(s):\n%s", s.what, s.value, len(lines), strings.Join(lines, "\n"))
				}
			})
		}
	})

	records := parseLog(t, log, format)

	t.Run("command lines", func(t *testing.T) {
		var got []logWant
		for _, r := range records {
			if r.msg != "command" {
				continue
			}
			user, command, outcome := r.str(t, "user"), r.str(t, "command"), r.str(t, "outcome")
			if !pseudonymRE.MatchString(user) {
				t.Errorf("command line's user %q is not a 12-hex pseudonym: %s", user, r.line)
			}
			if !r.duration(t, "took") {
				t.Errorf("command line has no duration took: %s", r.line)
			}
			got = append(got, logWant{user, command, outcome})
		}
		less := func(a, b logWant) int { return strings.Compare(a.User+a.Command+a.Outcome, b.User+b.Command+b.Outcome) }
		slices.SortFunc(got, less)
		slices.SortFunc(want, less)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("command lines (user, command, outcome), one per handled command and none for forged requests (-want +got):\n%s", diff)
		}
	})

	t.Run("broken record line", func(t *testing.T) {
		want := keyedPseudonym(t, secretKey, bot.SlackUser(brokenTeam, brokenUID))
		for _, r := range records {
			if strings.Contains(r.msg, "a record does not decode") && r.str(t, "user") == want {
				return
			}
		}
		t.Errorf("no line says the broken record does not decode, with user=%s", want)
	})

	t.Run("reminder lines", func(t *testing.T) {
		for _, p := range []struct{ platform, hash string }{{"slack", slackHash}, {"discord", discordHash}} {
			sent := 0
			for _, r := range records {
				if r.msg == "reminder" && r.str(t, "outcome") == "sent" && r.str(t, "user") == p.hash {
					sent++
				}
			}
			if sent == 0 {
				t.Errorf("no reminder line with outcome=sent and user=%s for the %s delivery", p.hash, p.platform)
			}
		}
	})
}

var pseudonymRE = regexp.MustCompile(`^[0-9a-f]{12}$`)

// keyedPseudonym is a user's pseudonym in the log under the hex secret key:
// HMAC-SHA256 of the id under a key derived from the secret for this one
// use, its first 6 bytes in hex.
func keyedPseudonym(t *testing.T, secretHex string, id bot.UserID) string {
	t.Helper()
	secret, err := hex.DecodeString(secretHex)
	if err != nil {
		t.Fatal(err)
	}
	derive := hmac.New(sha256.New, secret)
	derive.Write([]byte("coachbot log pseudonyms"))
	mac := hmac.New(sha256.New, derive.Sum(nil))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil)[:6])
}

// passwordProtect gives the Redis server a user with a password and turns
// the password-less default user off, so that the store can only connect
// with the password in its URL. A COACH_TEST_REDIS_URL server is shared and
// is left as it is (no password to grep for then).
func passwordProtect(t *testing.T, srv *redistest.Server) (redisURL, password string) {
	t.Helper()
	if srv.Port() == 0 {
		t.Logf("Redis from COACH_TEST_REDIS_URL: running without a Redis password to look for")
		return srv.URL(), ""
	}
	password = randomHex(t, 16)
	user := "coach" + randomHex(t, 4)
	ctx := context.Background()
	c := srv.Client()
	if err := c.Do(ctx, "ACL", "SETUSER", user, "on", ">"+password, "~*", "&*", "+@all").Err(); err != nil {
		t.Fatalf("ACL SETUSER %s: %v", user, err)
	}
	if err := c.Do(ctx, "ACL", "SETUSER", "default", "off").Err(); err != nil {
		t.Fatalf("ACL SETUSER default off: %v", err)
	}
	// Without the password the server must now refuse to talk.
	conn, err := net.DialTimeout("tcp", srv.Addr(), bottest.WaitLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(bottest.WaitLimit))
	if _, err := io.WriteString(conn, "PING\r\n"); err != nil {
		t.Fatal(err)
	}
	answer, _ := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(answer, "-NOAUTH") {
		t.Fatalf("Redis answers PING without a password with %q, want -NOAUTH", answer)
	}
	u := url.URL{Scheme: "redis", User: url.UserPassword(user, password), Host: srv.Addr(), Path: "/0"}
	return u.String(), password
}

// postSlack posts a form body to a Slack endpoint, signed with secret as
// Slack signs: HMAC-SHA256 of "v0:<timestamp>:<body>".
func postSlack(t *testing.T, endpoint, body, secret string) (int, string) {
	t.Helper()
	return roundTrip(t, slackRequest(t, endpoint, "application/x-www-form-urlencoded", body, secret))
}

// slackRequest is a POST of body to endpoint, signed with secret now, as
// Slack signs.
func slackRequest(t *testing.T, endpoint, contentType, body, secret string) *http.Request {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest("POST", endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackSignature(secret, ts, body))
	return req
}

// slackSignature is Slack's X-Slack-Signature of body sent at ts.
func slackSignature(secret, ts, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// postDiscord posts an interaction signed with key as Discord signs:
// Ed25519 over timestamp + body.
func postDiscord(t *testing.T, endpoint string, body []byte, key ed25519.PrivateKey) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest("POST", endpoint, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, append([]byte(ts), body...))))
	return roundTrip(t, req)
}

func roundTrip(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// fakeAPIs stands in for Slack's Web API (under /slack/api/), response_url
// endpoints (/hooks/) and Discord's REST API (under /discord/api/v10/): it
// answers the calls coachbot makes, refuses wrong credentials, and records
// each call as "slack METHOD", "hook PATH" or "discord VERB PATH".
type fakeAPIs struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	calls   []string
	changed chan struct{} // closed and replaced on every call
}

func newFakeAPIs(t *testing.T, slackToken, discordToken, dmChannel string) *fakeAPIs {
	f := &fakeAPIs{t: t, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/{method}", func(w http.ResponseWriter, r *http.Request) {
		method := r.PathValue("method")
		f.record("slack " + method)
		if err := r.ParseForm(); err != nil {
			t.Errorf("fake Slack %s: %v", method, err)
		}
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok := r.PostForm.Get("token"); tok != "" {
			token = tok
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if token != slackToken {
			t.Errorf("fake Slack %s: called without the configured bot token", method)
			io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		switch method {
		case "conversations.open":
			io.WriteString(w, `{"ok":true,"channel":{"id":"D123"}}`)
		case "chat.postMessage":
			io.WriteString(w, `{"ok":true,"channel":"D123","ts":"1.2"}`)
		case "users.info":
			fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"learner","tz":"Europe/London"}}`, r.PostForm.Get("user"))
		default:
			t.Errorf("fake Slack: unexpected call of %s", method)
			io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
		}
	})
	mux.HandleFunc("POST /hooks/", func(w http.ResponseWriter, r *http.Request) {
		f.record("hook " + r.URL.Path)
		io.WriteString(w, "ok")
	})
	discord := func(pattern string, answer func(r *http.Request) string) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			f.record("discord " + r.Method + " " + r.URL.Path)
			w.Header().Set("Content-Type", "application/json")
			if r.Header.Get("Authorization") != "Bot "+discordToken {
				t.Errorf("fake Discord %s %s: called without the configured bot token", r.Method, r.URL.Path)
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"message": "401: Unauthorized", "code": 0}`)
				return
			}
			io.WriteString(w, answer(r))
		})
	}
	const dapi = "/discord/api/v10"
	discord("PUT "+dapi+"/applications/{app}/commands", func(*http.Request) string { return "[]" })
	discord("POST "+dapi+"/users/@me/channels", func(*http.Request) string {
		return fmt.Sprintf(`{"id":%q,"type":1}`, dmChannel)
	})
	discord("POST "+dapi+"/channels/{channel}/messages", func(r *http.Request) string {
		return fmt.Sprintf(`{"id":"1","channel_id":%q}`, r.PathValue("channel"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.record("unexpected " + r.Method + " " + r.URL.Path)
		t.Errorf("fake APIs: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPIs) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	close(f.changed)
	f.changed = make(chan struct{})
}

// waitFor waits, at most bottest.WaitLimit, until a call starting with
// prefix has been received.
func (f *fakeAPIs) waitFor(t *testing.T, prefix string) {
	t.Helper()
	timeout := time.After(bottest.WaitLimit)
	for {
		f.mu.Lock()
		for _, c := range f.calls {
			if strings.HasPrefix(c, prefix) {
				f.mu.Unlock()
				return
			}
		}
		changed, calls := f.changed, slices.Clone(f.calls)
		f.mu.Unlock()
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("the fake APIs never received %q; they got %q", prefix, calls)
		}
	}
}

// logRecord is one line of the log, decoded.
type logRecord struct {
	line   string
	msg    string
	fields map[string]any // json: as encoding/json decodes; text: strings
}

// parseLog decodes every line of the log in the given format, failing the
// test on a line that does not decode.
func parseLog(t *testing.T, log, format string) []logRecord {
	t.Helper()
	var out []logRecord
	for line := range strings.Lines(log) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		r := logRecord{line: line}
		var err error
		if format == "json" {
			err = json.Unmarshal([]byte(line), &r.fields)
		} else {
			r.fields, err = parseTextLine(line)
		}
		if err != nil {
			t.Errorf("a log line does not decode as %s: %v\n%s", format, err, line)
			continue
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := r.fields[k]; !ok {
				t.Errorf("a log line has no %s: %s", k, line)
			}
		}
		r.msg, _ = r.fields["msg"].(string)
		out = append(out, r)
	}
	return out
}

// str returns the field as a string, failing the test when it is missing
// or (in JSON) not a string.
func (r logRecord) str(t *testing.T, key string) string {
	t.Helper()
	v, ok := r.fields[key]
	if !ok {
		t.Errorf("%s line has no %s: %s", r.msg, key, r.line)
		return ""
	}
	s, ok := v.(string)
	if !ok {
		t.Errorf("%s line's %s is %T, not a string: %s", r.msg, key, v, r.line)
	}
	return s
}

// duration reports whether the field holds a duration: slog's JSON handler
// writes nanoseconds as a number, its text handler Go's duration syntax.
func (r logRecord) duration(t *testing.T, key string) bool {
	t.Helper()
	switch v := r.fields[key].(type) {
	case float64:
		return v >= 0 && v == float64(int64(v))
	case string:
		d, err := time.ParseDuration(v)
		return err == nil && d >= 0
	}
	return false
}

// parseTextLine decodes one line of slog's text handler: key=value pairs
// separated by spaces, a value quoted (Go syntax) when it needs to be.
func parseTextLine(line string) (map[string]any, error) {
	fields := map[string]any{}
	for rest := line; rest != ""; {
		key, after, ok := strings.Cut(rest, "=")
		if !ok || key == "" || strings.ContainsAny(key, ` "`) {
			return nil, fmt.Errorf("no key=value at %q", rest)
		}
		var value string
		if strings.HasPrefix(after, `"`) {
			quoted, err := strconv.QuotedPrefix(after)
			if err != nil {
				return nil, fmt.Errorf("bad quoted value of %s: %v", key, err)
			}
			value, _ = strconv.Unquote(quoted)
			after = after[len(quoted):]
		} else {
			value, after, _ = strings.Cut(after, " ")
			after = " " + after
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("%s appears twice", key)
		}
		fields[key] = value
		rest = strings.TrimPrefix(after, " ")
		if after != "" && !strings.HasPrefix(after, " ") {
			return nil, fmt.Errorf("no space after the value of %s", key)
		}
	}
	return fields, nil
}

// linesWith returns the lines of log that contain s.
func linesWith(log, s string) []string {
	var out []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, s) {
			out = append(out, strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// randomSnowflake returns a random 19-digit Discord-style id.
func randomSnowflake(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(1e18+binary.BigEndian.Uint64(b[:])%(8e18), 10)
}

func loadZoneT(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
