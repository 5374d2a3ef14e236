package discord_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/coachbot/coachbot/bot/bottest"
)

// testToken is the bot token the tests configure; the fake refuses any
// request that does not carry it as "Bot testToken".
const testToken = "test-token"

// testAppID is the application id in the tests and in testdata's payloads.
const testAppID = "1187425437211394058"

// call is one REST request the fake received.
type call struct {
	Method string
	Path   string
	Body   []byte
	Header http.Header
}

func (c call) String() string { return c.Method + " " + c.Path }

// fakeDiscord is a local stand-in for Discord's REST API and gateway: it
// records every request and answers like Discord, or with the failures a
// test asks for.
type fakeDiscord struct {
	t   testing.TB
	srv *httptest.Server
	gw  *fakeGateway

	mu      sync.Mutex
	calls   []call
	changed chan struct{} // closed and replaced when a call arrives
	sent    int           // POST channels/{id}/messages so far
	// onMessage, when set, may fail a message send: it gets the channel
	// and the 1-based number of the send and returns a status and JSON
	// body and headers, or status 0 to deliver normally.
	onMessage func(channel string, n int) (status int, body string, header http.Header)
}

func newFakeDiscord(t testing.TB) *fakeDiscord {
	f := &fakeDiscord{t: t, changed: make(chan struct{}), gw: newFakeGateway()}
	mux := http.NewServeMux()
	api := "/api/v10"
	mux.HandleFunc("PUT "+api+"/applications/{app}/commands", f.overwrite)
	mux.HandleFunc("PUT "+api+"/applications/{app}/guilds/{guild}/commands", f.overwrite)
	mux.HandleFunc("POST "+api+"/users/@me/channels", f.openDM)
	mux.HandleFunc("POST "+api+"/channels/{channel}/messages", f.message)
	mux.HandleFunc("POST "+api+"/interactions/{id}/{token}/callback", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PATCH "+api+"/webhooks/{app}/{token}/messages/@original", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, messageJSON("1275600000000000001", "1187426036216729632"))
	})
	gateway := func(w http.ResponseWriter, r *http.Request) {
		url := "ws://" + r.Host + "/gateway-ws"
		if strings.HasSuffix(r.URL.Path, "/bot") {
			writeJSON(w, http.StatusOK, fmt.Sprintf(`{"url":%q,"shards":1,"session_start_limit":{"total":1000,"remaining":999,"reset_after":14400000,"max_concurrency":1}}`, url))
			return
		}
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"url":%q}`, url))
	}
	mux.HandleFunc("GET "+api+"/gateway", gateway)
	mux.HandleFunc("GET "+api+"/gateway/bot", gateway)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"message": "404: Not Found", "code": 0}`)
	})

	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/gateway-ws") {
			f.gw.serve(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		f.record(call{Method: r.Method, Path: r.URL.EscapedPath(), Body: body, Header: r.Header.Clone()})
		if r.Header.Get("Authorization") != "Bot "+testToken {
			writeJSON(w, http.StatusUnauthorized, `{"message": "401: Unauthorized", "code": 0}`)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.gw.close)
	return f
}

// APIURL is the REST base to configure.
func (f *fakeDiscord) APIURL() string { return f.srv.URL + "/api/v10" }

func (f *fakeDiscord) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	close(f.changed)
	f.changed = make(chan struct{})
}

// Calls returns the requests so far.
func (f *fakeDiscord) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// CallsTo returns the requests so far whose "METHOD path" has the prefix.
func (f *fakeDiscord) CallsTo(prefix string) []call {
	var out []call
	for _, c := range f.Calls() {
		if strings.HasPrefix(c.String(), prefix) {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until a request whose "METHOD path" has the prefix has
// arrived and returns the first one.
func (f *fakeDiscord) WaitFor(prefix string) call {
	f.t.Helper()
	timeout := time.After(bottest.WaitLimit)
	for {
		f.mu.Lock()
		for _, c := range f.calls {
			if strings.HasPrefix(c.String(), prefix) {
				f.mu.Unlock()
				return c
			}
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-timeout:
			f.t.Fatalf("no request %q reached the fake Discord; it got: %v", prefix, f.Calls())
		}
	}
}

func (f *fakeDiscord) overwrite(w http.ResponseWriter, r *http.Request) {
	// Discord answers with the commands as registered; the body as sent
	// is close enough for discordgo to decode.
	body, _ := io.ReadAll(r.Body)
	writeJSON(w, http.StatusOK, string(body))
}

func (f *fakeDiscord) openDM(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.RecipientID == "" {
		writeJSON(w, http.StatusBadRequest, `{"message": "Invalid Form Body", "code": 50035}`)
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{
  "id": %q,
  "type": 1,
  "last_message_id": null,
  "flags": 0,
  "recipients": [{"id": %q, "username": "learner", "global_name": "Learner", "avatar": null, "discriminator": "0", "public_flags": 0}]
}`, "dm-"+req.RecipientID, req.RecipientID))
}

func (f *fakeDiscord) message(w http.ResponseWriter, r *http.Request) {
	channel := r.PathValue("channel")
	f.mu.Lock()
	f.sent++
	n, hook := f.sent, f.onMessage
	f.mu.Unlock()
	if hook != nil {
		if status, body, header := hook(channel, n); status != 0 {
			for k, v := range header {
				w.Header()[k] = v
			}
			writeJSON(w, status, body)
			return
		}
	}
	writeJSON(w, http.StatusOK, messageJSON(fmt.Sprintf("12756%014d", n), channel))
}

// rateLimited is Discord's answer to a request over the limit.
func rateLimited(retryAfter float64, global bool) (int, string, http.Header) {
	h := http.Header{}
	h.Set("Retry-After", fmt.Sprint(int(retryAfter+0.999)))
	scope := "user"
	if global {
		h.Set("X-RateLimit-Global", "true")
		scope = "global"
	}
	h.Set("X-RateLimit-Scope", scope)
	return http.StatusTooManyRequests, fmt.Sprintf(`{"message": "You are being rate limited.", "retry_after": %g, "global": %t}`, retryAfter, global), h
}

// cannotDM is Discord's answer to a DM to a user who does not accept them.
func cannotDM() (int, string, http.Header) {
	return http.StatusForbidden, `{"message": "Cannot send messages to this user", "code": 50007}`, nil
}

// noMutualGuilds is Discord's answer to a DM to a user who shares no
// server with the bot.
func noMutualGuilds() (int, string, http.Header) {
	return http.StatusForbidden, `{"message": "Cannot send messages to this user due to having no mutual guilds", "code": 50278}`, nil
}

// unknownChannel is Discord's answer for a channel that no longer exists.
func unknownChannel() (int, string, http.Header) {
	return http.StatusNotFound, `{"message": "Unknown Channel", "code": 10003}`, nil
}

func messageJSON(id, channel string) string {
	return fmt.Sprintf(`{
  "id": %q,
  "type": 0,
  "channel_id": %q,
  "content": "",
  "author": {"id": %q, "username": "coachbot", "discriminator": "4321", "avatar": null, "bot": true, "public_flags": 524288},
  "attachments": [],
  "embeds": [],
  "mentions": [],
  "mention_roles": [],
  "pinned": false,
  "mention_everyone": false,
  "tts": false,
  "timestamp": "2026-11-23T10:01:00.123000+00:00",
  "edited_timestamp": null,
  "flags": 0,
  "components": []
}`, id, channel, testAppID)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// fakeGateway is the gateway websocket: Hello, then Identify is answered
// with READY, heartbeats with acks, and tests push dispatches.
type fakeGateway struct {
	mu         sync.Mutex
	conn       *websocket.Conn
	identified chan struct{} // closed when the first READY was sent
	identifies []json.RawMessage
	seq        int
	closed     bool
}

func newFakeGateway() *fakeGateway { return &fakeGateway{identified: make(chan struct{})} }

var upgrader = websocket.Upgrader{}

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.conn = conn
	g.seq = 0
	err = conn.WriteJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}, "s": nil, "t": nil})
	g.mu.Unlock()
	if err != nil {
		return
	}
	for {
		var msg struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := conn.ReadJSON(&msg); err != nil {
			return
		}
		g.mu.Lock()
		switch msg.Op {
		case 1: // heartbeat
			err = conn.WriteJSON(map[string]any{"op": 11, "d": nil, "s": nil, "t": nil})
		case 2: // identify
			g.identifies = append(g.identifies, msg.D)
			g.seq++
			err = conn.WriteJSON(map[string]any{"op": 0, "t": "READY", "s": g.seq, "d": json.RawMessage(`{
  "v": 10,
  "user": {"id": "` + testAppID + `", "username": "coachbot", "discriminator": "4321", "avatar": null, "bot": true, "verified": true, "flags": 524288},
  "guilds": [{"id": "1187426035688247377", "unavailable": true}],
  "session_id": "a9c4e2f0b7d1e3c5a7b9d0f2e4c6a8b1",
  "resume_gateway_url": "wss://gateway-us-east1-b.discord.gg",
  "shard": [0, 1],
  "application": {"id": "` + testAppID + `", "flags": 565248}
}`)})
			if err == nil && len(g.identifies) == 1 {
				close(g.identified)
			}
		}
		g.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Identifies returns the Identify payloads received so far.
func (g *fakeGateway) Identifies() []json.RawMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]json.RawMessage(nil), g.identifies...)
}

// Dispatch sends an INTERACTION_CREATE with the interaction payload once a
// session is identified.
func (g *fakeGateway) Dispatch(t testing.TB, interaction []byte) {
	t.Helper()
	g.mu.Lock()
	ready := g.identified
	g.mu.Unlock()
	select {
	case <-ready:
	case <-time.After(bottest.WaitLimit):
		t.Fatal("the adapter never identified on the fake gateway")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq++
	if err := g.conn.WriteJSON(map[string]any{"op": 0, "t": "INTERACTION_CREATE", "s": g.seq, "d": json.RawMessage(interaction)}); err != nil {
		t.Fatalf("dispatch: %v", err)
	}
}

func (g *fakeGateway) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.conn != nil {
		g.conn.Close()
	}
}
