package slack_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/coachbot/coachbot/bot/bottest"
)

// Tokens the fake accepts. They are fakes, never real credentials.
const (
	botToken = "xoxb-test-bot-token"
	appToken = "xapp-test-app-token"
)

// The OAuth client the fake knows ("Add to Slack").
const (
	clientID     = "1234567890.0987654321"
	clientSecret = "oauth-client-secret-for-tests"
)

// apiCall is one request the fake Slack received.
type apiCall struct {
	Method string     // "chat.postMessage", or "hook" for a response_url post
	Form   url.Values // form-encoded Web API calls (token removed)
	JSON   []byte     // JSON bodies: apps.connections.open, response_url posts
	Path   string     // the request path
	Team   string     // the workspace whose installed token authorised it; "" for botToken
	File   []byte     // an uploaded file ("upload": the POST to files.getUploadURLExternal's URL)
}

// grant is an install code the fake hands out: oauth.v2.access turns it
// into a bot token for Team, rotating (with a refresh token and an expiry)
// when Rotate.
type grant struct {
	Team, TeamName string
	Rotate         bool
}

// failure is how the fake answers one call instead of succeeding.
type failure struct {
	status     int    // HTTP status; 0 means 200 with ok=false
	retryAfter string // the Retry-After header of a 429
	code       string // the error of an ok=false answer
}

// fakeSlack is a recording fake of the Slack Web API (the methods the
// adapter calls), of response_url endpoints and of the Socket Mode
// websocket. Tests tell it to fail calls and read what it received.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	calls    []apiCall
	fails    map[string][]failure // method -> the next answers, in order
	zones    map[string]string    // Slack user id -> profile tz
	opened   int                  // conversations.open calls that succeeded
	conns    int                  // websocket connections made
	conn     *fakeConn            // the current websocket connection
	notify   chan apiCall         // every call, for tests that wait on one
	acks     chan socketAck       // acknowledgements read from the websocket
	connects chan int             // the number of each websocket connection once hello is sent
	redirect map[string]string    // hook path -> where it redirects to (307)

	// OAuth: install codes not yet used, the bot tokens issued (token ->
	// team), refresh tokens not yet used (refresh token -> team), and a
	// counter that makes every token different.
	codes       map[string]grant
	tokens      map[string]string
	refresh     map[string]string
	issued      int
	redirectURI string // the redirect_uri the app registered; "" accepts any
}

// socketAck is an acknowledgement the adapter sent over the websocket.
type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

type fakeConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex // gorilla connections take one writer at a time
	done chan struct{}
}

func (c *fakeConn) write(kind int, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(bottest.WaitLimit))
	return c.ws.WriteMessage(kind, data)
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{
		t:        t,
		fails:    map[string][]failure{},
		zones:    map[string]string{},
		notify:   make(chan apiCall, 1000),
		acks:     make(chan socketAck, 100),
		connects: make(chan int, 100),
		redirect: map[string]string{},
		codes:    map[string]grant{},
		tokens:   map[string]string{},
		refresh:  map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", f.serveAPI)
	mux.HandleFunc("POST /hooks/", f.serveHook)
	mux.HandleFunc("POST /upload/{file}", f.serveUpload)
	mux.HandleFunc("GET /link/", f.serveSocket)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		if f.conn != nil {
			_ = f.conn.ws.Close()
		}
		f.mu.Unlock()
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

// APIURL is the Web API base to configure the adapter with; it has no
// trailing slash, so the adapter has to add it.
func (f *fakeSlack) APIURL() string { return f.srv.URL + "/api" }

// HooksURL is where test payloads point their response_url.
func (f *fakeSlack) HooksURL() string { return f.srv.URL + "/hooks" }

// FailNext makes the next calls of method answer with fs, in order.
func (f *fakeSlack) FailNext(method string, fs ...failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails[method] = append(f.fails[method], fs...)
}

// SetZone gives a Slack user a profile time zone.
func (f *fakeSlack) SetZone(user, tz string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.zones[user] = tz
}

// Calls returns the calls received so far, optionally only those of the
// given methods.
func (f *fakeSlack) Calls(methods ...string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Methods returns the names of the calls received so far, in order.
func (f *fakeSlack) Methods() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Method)
	}
	return out
}

// WaitCall waits for the next call of method, failing the test after
// bottest.WaitLimit. Calls of other methods seen meanwhile are skipped.
func (f *fakeSlack) WaitCall(method string) apiCall {
	f.t.Helper()
	timeout := time.After(bottest.WaitLimit)
	for {
		select {
		case c := <-f.notify:
			if c.Method == method {
				return c
			}
		case <-timeout:
			f.t.Fatalf("the fake Slack never received %s; it got %v", method, f.Methods())
			return apiCall{}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *fakeSlack) record(c apiCall) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	select {
	case f.notify <- c:
	default:
		f.t.Errorf("fake Slack: too many unread call notifications")
	}
}

// nextFailure takes the next planned failure of method, if any.
func (f *fakeSlack) nextFailure(method string) (failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.fails[method]
	if len(q) == 0 {
		return failure{}, false
	}
	f.fails[method] = q[1:]
	return q[0], true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// serveAPI answers the Web API methods the adapter uses, like Slack does:
// 200 with {"ok": true, …} or {"ok": false, "error": code}, and 429 with a
// Retry-After header when rate limited.
func (f *fakeSlack) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	body, _ := io.ReadAll(r.Body)
	call := apiCall{Method: method, Path: r.URL.Path}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			f.t.Errorf("fake Slack: %s: bad form body: %v", method, err)
		}
		if t := form.Get("token"); t != "" {
			token = t
		}
		form.Del("token")
		call.Form = form
	} else {
		call.JSON = body
	}
	if method == "oauth.v2.access" {
		f.record(call)
		f.serveOAuth(w, call.Form)
		return
	}
	f.mu.Lock()
	team, installed := f.tokens[token]
	f.mu.Unlock()
	call.Team = team
	f.record(call)

	wantToken := botToken
	if method == "apps.connections.open" {
		wantToken = appToken
	}
	if token != wantToken && (!installed || method == "apps.connections.open") {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	if fail, ok := f.nextFailure(method); ok {
		if fail.status != 0 {
			if fail.retryAfter != "" {
				w.Header().Set("Retry-After", fail.retryAfter)
			}
			w.WriteHeader(fail.status)
			return
		}
		writeJSON(w, map[string]any{"ok": false, "error": fail.code})
		return
	}

	switch method {
	case "conversations.open":
		f.mu.Lock()
		f.opened++
		n := f.opened
		f.mu.Unlock()
		// Each open names a new channel, so tests see which one a post used.
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": fmt.Sprintf("D%04d%s", n, call.Form.Get("users"))}})
	case "chat.postMessage":
		writeJSON(w, map[string]any{"ok": true, "channel": call.Form.Get("channel"), "ts": "1700000000.000100",
			"message": map[string]any{"type": "message", "text": call.Form.Get("text"), "ts": "1700000000.000100"}})
	case "users.info":
		uid := call.Form.Get("user")
		f.mu.Lock()
		tz, ok := f.zones[uid]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": uid, "name": "ana", "tz": tz, "tz_label": tz, "tz_offset": 0}})
	case "files.getUploadURLExternal":
		// The upload URL is on the API's host, as slack-go requires of a
		// URL it sends the token to (Slack's own is files.slack.com).
		id := "F" + strings.ToUpper(strconv.FormatInt(int64(len(f.Calls("files.getUploadURLExternal"))), 36))
		writeJSON(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []map[string]any
		if err := json.Unmarshal([]byte(call.Form.Get("files")), &files); err != nil || len(files) != 1 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "files": files})
	case "apps.connections.open":
		f.mu.Lock()
		n := f.conns + 1
		f.mu.Unlock()
		u := strings.Replace(f.srv.URL, "http://", "ws://", 1) + "/link/?ticket=" + strconv.Itoa(n)
		writeJSON(w, map[string]any{"ok": true, "url": u})
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// Redirect makes the hook at path answer with a redirect (307) to target.
func (f *fakeSlack) Redirect(path, target string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redirect[path] = target
}

// Grant makes code an install code for g, as Slack's authorize page does
// when someone approves the install.
func (f *fakeSlack) Grant(code string, g grant) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[code] = g
}

// Revoke makes every token of team invalid, as an uninstall does.
func (f *fakeSlack) Revoke(team string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok, tm := range f.tokens {
		if tm == team {
			delete(f.tokens, tok)
		}
	}
}

// TokenOf returns a bot token the fake issued for team (the last one).
func (f *fakeSlack) TokenOf(team string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	last, n := "", -1
	for tok, tm := range f.tokens {
		var i int
		if tm == team {
			_, _ = fmt.Sscanf(tok[strings.LastIndexByte(tok, '-')+1:], "%d", &i)
			if i > n {
				last, n = tok, i
			}
		}
	}
	return last
}

// serveOAuth is oauth.v2.access: an install code (once) or, with
// grant_type=refresh_token, a refresh token (once) for a new bot token.
// The client id and secret come in the form, as slack-go sends them.
func (f *fakeSlack) serveOAuth(w http.ResponseWriter, form url.Values) {
	fail := func(code string) { writeJSON(w, map[string]any{"ok": false, "error": code}) }
	if form.Get("client_id") != clientID || form.Get("client_secret") != clientSecret {
		fail("invalid_client_id")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var g grant
	if form.Get("grant_type") == "refresh_token" {
		team, ok := f.refresh[form.Get("refresh_token")]
		if !ok {
			fail("invalid_refresh_token")
			return
		}
		delete(f.refresh, form.Get("refresh_token"))
		g = grant{Team: team, TeamName: "Team " + team, Rotate: true}
	} else {
		var ok bool
		g, ok = f.codes[form.Get("code")]
		if !ok {
			fail("invalid_code")
			return
		}
		if f.redirectURI != "" && form.Get("redirect_uri") != f.redirectURI {
			fail("bad_redirect_uri")
			return
		}
		delete(f.codes, form.Get("code"))
	}
	f.issued++
	answer := map[string]any{
		"ok": true, "token_type": "bot", "scope": "commands,chat:write,im:write,users:read",
		"bot_user_id": "UBOT" + g.Team, "app_id": "A0COACH",
		"team":       map[string]any{"id": g.Team, "name": g.TeamName},
		"enterprise": nil, "is_enterprise_install": false,
		"authed_user": map[string]any{"id": "UADMIN"},
	}
	tok := fmt.Sprintf("xoxb-%s-%d", g.Team, f.issued)
	if g.Rotate {
		tok = fmt.Sprintf("xoxe.xoxb-%s-%d", g.Team, f.issued)
		rt := fmt.Sprintf("xoxe-1-%s-%d", g.Team, f.issued)
		f.refresh[rt] = g.Team
		answer["refresh_token"], answer["expires_in"] = rt, 43200
	}
	f.tokens[tok] = g.Team
	answer["access_token"] = tok
	writeJSON(w, answer)
}

// serveHook records a response_url post. Slack answers those with 200.
func (f *fakeSlack) serveHook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.record(apiCall{Method: "hook", Path: r.URL.Path, JSON: body})
	f.mu.Lock()
	to, ok := f.redirect[r.URL.Path]
	f.mu.Unlock()
	if ok {
		http.Redirect(w, r, to, http.StatusTemporaryRedirect)
		return
	}
	if fail, ok := f.nextFailure("hook"); ok && fail.status != 0 {
		w.WriteHeader(fail.status)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// serveUpload records a file uploaded to a URL of
// files.getUploadURLExternal, as Slack's files.slack.com takes it: one
// multipart part, "file", with the bot token.
func (f *fakeSlack) serveUpload(w http.ResponseWriter, r *http.Request) {
	call := apiCall{Method: "upload", Path: r.URL.Path}
	if r.Header.Get("Authorization") != "Bearer "+botToken {
		f.t.Errorf("fake Slack: upload without the bot token")
	}
	if file, _, err := r.FormFile("file"); err == nil {
		call.File, _ = io.ReadAll(file)
		file.Close()
	}
	f.record(call)
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(call.File)))
}

// serveSocket is the Socket Mode websocket: it says hello, pings, and
// reads acknowledgements until the test drops the connection.
func (f *fakeSlack) serveSocket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") == "https://api.slack.com"
	}}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("fake Socket Mode: upgrade: %v", err)
		return
	}
	c := &fakeConn{ws: ws, done: make(chan struct{})}
	f.mu.Lock()
	f.conns++
	n := f.conns
	f.conn = c
	f.mu.Unlock()

	if err := c.write(websocket.TextMessage, readTestdata(f.t, "socket-hello.json")); err != nil {
		f.t.Errorf("fake Socket Mode: hello: %v", err)
		return
	}
	// Slack pings every few seconds; the client reconnects when it stops.
	go func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			if c.write(websocket.PingMessage, []byte("ping")) != nil {
				return
			}
			select {
			case <-c.done:
				return
			case <-tick.C:
			}
		}
	}()
	f.connects <- n
	defer close(c.done)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var ack socketAck
		if err := json.Unmarshal(data, &ack); err != nil {
			f.t.Errorf("fake Socket Mode: not an ack: %s", data)
			continue
		}
		f.acks <- ack
	}
}

// WaitConnected waits until the n-th websocket connection got its hello.
func (f *fakeSlack) WaitConnected(n int) {
	f.t.Helper()
	timeout := time.After(bottest.WaitLimit)
	for {
		select {
		case got := <-f.connects:
			if got >= n {
				return
			}
		case <-timeout:
			f.t.Fatalf("Socket Mode connection %d never came", n)
		}
	}
}

// Send writes an envelope to the current websocket connection.
func (f *fakeSlack) Send(envelope []byte) {
	f.t.Helper()
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	if c == nil {
		f.t.Fatal("fake Socket Mode: no connection to send on")
	}
	if err := c.write(websocket.TextMessage, envelope); err != nil {
		f.t.Fatalf("fake Socket Mode: send: %v", err)
	}
}

// Drop cuts the current websocket connection without a close frame, the
// way a network failure does.
func (f *fakeSlack) Drop() {
	f.mu.Lock()
	c := f.conn
	f.conn = nil
	f.mu.Unlock()
	if c != nil {
		_ = c.ws.NetConn().Close()
	}
}

// WaitAck waits for the acknowledgement of an envelope.
func (f *fakeSlack) WaitAck(envelopeID string) socketAck {
	f.t.Helper()
	timeout := time.After(bottest.WaitLimit)
	for {
		select {
		case a := <-f.acks:
			if a.EnvelopeID == envelopeID {
				return a
			}
			f.t.Errorf("unexpected ack of envelope %q", a.EnvelopeID)
		case <-timeout:
			f.t.Fatalf("envelope %s was never acknowledged", envelopeID)
			return socketAck{}
		}
	}
}
