package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
)

// The "Add to Slack" app of these tests; made up.
const (
	installClientID     = "1234.5678"
	installClientSecret = "SECRETclient4321"
	installPublicURL    = "https://coach.example.test"
)

// fakeSlackOAuth is a small Slack for the install tests: oauth.v2.access
// (install codes; refresh tokens, once each) and the Web API methods a
// command and a DM use, each recorded with the workspace whose token
// authorised it.
type fakeSlackOAuth struct {
	mu        sync.Mutex
	tokens    map[string]string // bot token -> team
	refresh   map[string]string // refresh token -> team
	rotate    map[string]bool   // teams whose installs rotate their tokens
	issued    int
	refreshes int
	calls     []string // "<method> <team>"
}

func newFakeSlackOAuth(t *testing.T) (*fakeSlackOAuth, string) {
	f := &fakeSlackOAuth{tokens: map[string]string{}, refresh: map[string]string{}, rotate: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/api/"
}

func (f *fakeSlackOAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	defer f.mu.Unlock()
	answer := func(v map[string]any) { v["ok"] = true; _ = json.NewEncoder(w).Encode(v) }
	fail := func(code string) { _ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code}) }
	if method == "oauth.v2.access" {
		if r.Form.Get("client_id") != installClientID || r.Form.Get("client_secret") != installClientSecret {
			fail("invalid_client_id")
			return
		}
		team, rotating := strings.TrimPrefix(r.Form.Get("code"), "code-"), false
		ttl := 1200 // an install's rotating token is due for a refresh at once
		if r.Form.Get("grant_type") == "refresh_token" {
			var ok bool
			if team, ok = f.refresh[r.Form.Get("refresh_token")]; !ok {
				fail("invalid_refresh_token")
				return
			}
			delete(f.refresh, r.Form.Get("refresh_token"))
			f.refreshes++
			rotating, ttl = true, 43200
		} else {
			rotating = f.rotate[team]
		}
		f.calls = append(f.calls, method+" "+team)
		f.issued++
		v := map[string]any{"token_type": "bot", "scope": "commands,chat:write,im:write,users:read", "bot_user_id": "UBOT",
			"app_id": "A1", "team": map[string]any{"id": team, "name": "Team " + team}}
		tok := fmt.Sprintf("xoxb-%s-%d", team, f.issued)
		if rotating {
			tok = fmt.Sprintf("xoxe.xoxb-%s-%d", team, f.issued)
			rt := fmt.Sprintf("xoxe-1-%s-%d", team, f.issued)
			f.refresh[rt] = team
			v["refresh_token"], v["expires_in"] = rt, ttl
		}
		f.tokens[tok] = team
		v["access_token"] = tok
		answer(v)
		return
	}
	team, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !ok {
		team, ok = f.tokens[r.Form.Get("token")]
	}
	if !ok {
		fail("invalid_auth")
		return
	}
	f.calls = append(f.calls, method+" "+team)
	switch method {
	case "users.info":
		answer(map[string]any{"user": map[string]any{"id": r.Form.Get("user"), "tz": "Europe/Berlin"}})
	case "conversations.open":
		answer(map[string]any{"channel": map[string]any{"id": "D" + r.Form.Get("users")}})
	default:
		answer(map[string]any{"channel": r.Form.Get("channel"), "ts": "1.2"})
	}
}

func (f *fakeSlackOAuth) callsOf(method string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, method+" ") {
			out = append(out, c)
		}
	}
	return out
}

// installMain is a server Main with "Add to Slack" on Redis.
func installMain(t *testing.T, apiURL string, redisURL string, addrs []string) *Main {
	m, _, _ := newMain(t.TempDir())
	m.Config.RedisURL, m.Config.RedisAddrs = redisURL, addrs
	m.Config.SlackClientID, m.Config.SlackClientSecret, m.Config.SlackSigningSecret = installClientID, installClientSecret, slackSecret
	m.Config.PublicURL, m.Config.SecretKey, m.Config.SlackApiURL = installPublicURL, secretKeyHex, apiURL
	if err := m.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

// noRedirects is a client that shows a redirect instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// browserInstall runs GET /slack/install and the callback for team as a
// browser does, logging the transcript, and returns the callback's status.
func browserInstall(t *testing.T, base, team string, forge bool) int {
	t.Helper()
	res, err := noRedirects.Get(base + "/slack/install")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	t.Logf("transcript: GET /slack/install → %d (Location: %s?client_id=…&redirect_uri=…&scope=…&state=…)", res.StatusCode, strings.SplitN(res.Header.Get("Location"), "?", 2)[0])
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound || len(res.Cookies()) != 1 {
		t.Fatalf("install: %d %v %v", res.StatusCode, err, res.Cookies())
	}
	state := loc.Query().Get("state")
	if forge {
		state = state[:len(state)-4] + "AAAA"
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/slack/oauth/callback?"+url.Values{"code": {"code-" + team}, "state": {state}}.Encode(), nil)
	req.AddCookie(&http.Cookie{Name: res.Cookies()[0].Name, Value: res.Cookies()[0].Value})
	res, err = noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	t.Logf("transcript: GET /slack/oauth/callback?code=…&state=… (cookie) → %d", res.StatusCode)
	if !forge && (res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Team "+team)) {
		t.Fatalf("callback for a workspace: %d\n%s", res.StatusCode, body)
	}
	return res.StatusCode
}

// signedPost posts a body signed with the signing secret and returns the
// status and the answer.
func signedPost(t *testing.T, base, path, contentType, body string) (int, string) {
	t.Helper()
	return roundTrip(t, slackRequest(t, base+path, contentType, body, slackSecret))
}

func slashAs(t *testing.T, base, team, user, text string) string {
	t.Helper()
	body := url.Values{"command": {"/coach"}, "text": {text}, "team_id": {team}, "user_id": {user},
		"response_url": {"https://hooks.slack.com/commands/x"}, "trigger_id": {"1.2." + randomHex(t, 4)}}.Encode()
	status, out := signedPost(t, base, "/slack/commands", "application/x-www-form-urlencoded", body)
	t.Logf("transcript: POST /slack/commands (%s, signed) → %d", strings.Fields(text)[0], status)
	if status != http.StatusOK {
		t.Fatalf("/coach %s: %d %s", text, status, out)
	}
	return out
}

func slackEvent(t *testing.T, base, team, kind string) {
	t.Helper()
	ev := map[string]any{"type": kind}
	if kind == "tokens_revoked" {
		ev["tokens"] = map[string]any{"bot": []string{"UBOT"}}
	}
	body, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": team, "api_app_id": "A1", "event": ev, "event_id": "Ev" + randomHex(t, 4), "event_time": time.Now().Unix()})
	status, out := signedPost(t, base, "/slack/events", "application/json", string(body))
	t.Logf("transcript: POST /slack/events (%s, signed) → %d", kind, status)
	if status != http.StatusOK {
		t.Fatalf("event %s: %d %s", kind, status, out)
	}
}

// redisDump is every key of the masters, as SCAN 0 MATCH * finds them,
// with its type and, for strings, its value quoted as redis-cli shows it;
// zset and list members too, since the reminder index names users in them.
func redisDump(t *testing.T, nodes []*redis.Client) (keys []string, lines []string) {
	t.Helper()
	ctx := context.Background()
	for _, c := range nodes {
		if role, _ := c.Do(ctx, "ROLE").Slice(); len(role) > 0 && role[0] != "master" {
			continue
		}
		iter := c.Scan(ctx, 0, "*", 1000).Iterator()
		var mine []string
		for iter.Next(ctx) {
			mine = append(mine, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(mine)
		for _, k := range mine {
			kind, _ := c.Type(ctx, k).Result()
			switch kind {
			case "string":
				v, _ := c.Get(ctx, k).Result()
				lines = append(lines, fmt.Sprintf("%s (string) %s", k, quoteShort(v)))
			case "zset":
				ms, _ := c.ZRange(ctx, k, 0, -1).Result()
				lines = append(lines, fmt.Sprintf("%s (zset) %q", k, ms))
			case "list":
				ms, _ := c.LRange(ctx, k, 0, -1).Result()
				lines = append(lines, fmt.Sprintf("%s (list) %q", k, ms))
			default:
				lines = append(lines, k+" ("+kind+")")
			}
		}
		keys = append(keys, mine...)
	}
	return keys, lines
}

// quoteShort quotes v as redis-cli does, its first 40 bytes only when it
// is longer, with its length.
func quoteShort(v string) string {
	if len(v) <= 40 {
		return strconv.Quote(v)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(v[:40]), len(v))
}

// TestSlackInstallOnRedis runs "Add to Slack" through the real server on
// real Redis (one server, and a 3-master Cluster): two workspaces install
// (a forged callback first, which writes nothing), their installations
// are in Redis sealed (no token readable), a command from each uses its
// own token, a rotating token is refreshed by exactly one of two replicas,
// and after app_uninstalled and tokens_revoked nothing of the workspace
// is left in Redis while the other is untouched.
func TestSlackInstallOnRedis(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		srv := redistest.Start(t)
		testInstallOnRedis(t, srv.URL(), nil, []*redis.Client{srv.Client()})
	})
	t.Run("cluster", func(t *testing.T) {
		c := redistest.StartCluster(t, 3)
		var nodes []*redis.Client
		for _, n := range c.Nodes() {
			nodes = append(nodes, n.Client())
		}
		testInstallOnRedis(t, "", c.Addrs(), nodes)
	})
}

func testInstallOnRedis(t *testing.T, redisURL string, addrs []string, nodes []*redis.Client) {
	ctx := context.Background()
	for _, n := range nodes {
		_ = n.FlushAll(ctx).Err()
	}
	fake, apiURL := newFakeSlackOAuth(t)
	fake.rotate["TBOOT2"] = true
	a := installMain(t, apiURL, redisURL, addrs)
	baseA := serveMain(t, a)

	before, _ := redisDump(t, nodes)
	if status := browserInstall(t, baseA, "TACME1", true); status != http.StatusBadRequest {
		t.Fatalf("forged callback: %d, want 400", status)
	}
	if after, _ := redisDump(t, nodes); !slices.Equal(before, after) || len(fake.callsOf("oauth.v2.access")) != 0 {
		t.Fatalf("a forged callback wrote to Redis (%v → %v) or reached Slack", before, after)
	}
	browserInstall(t, baseA, "TACME1", false)
	browserInstall(t, baseA, "TBOOT2", false)

	keys, dump := redisDump(t, nodes)
	t.Logf("redis-cli --scan after the installs, with values:\n  %s", strings.Join(dump, "\n  "))
	var inst []string
	for _, k := range keys {
		if strings.HasPrefix(k, "coachbot:inst:") {
			inst = append(inst, k)
		}
	}
	slices.Sort(inst)
	if want := []string{"coachbot:inst:TACME1", "coachbot:inst:TBOOT2"}; !slices.Equal(inst, want) {
		t.Errorf("installation keys %v, want %v", inst, want)
	}
	fake.mu.Lock()
	issued := make([]string, 0, len(fake.tokens)+len(fake.refresh))
	for tok := range fake.tokens {
		issued = append(issued, tok)
	}
	for tok := range fake.refresh {
		issued = append(issued, tok)
	}
	fake.mu.Unlock()
	var raw []string
	for _, k := range inst {
		for _, n := range nodes {
			if v, err := n.Get(ctx, k).Result(); err == nil {
				raw = append(raw, v)
			}
		}
	}
	if len(raw) != 2 {
		t.Fatalf("read %d installation values, want 2", len(raw))
	}
	all := strings.Join(append(raw, dump...), "\n")
	for _, s := range append(issued, "xox", installClientSecret, "Team TACME1") {
		if strings.Contains(all, s) {
			t.Errorf("Redis shows %q", s)
		}
	}

	// A second replica on the same Redis. The two users of TBOOT2 ask
	// for a reminder at the same moment, one on each replica: the
	// profile's zone (users.info) needs TBOOT2's token, which is due for
	// a refresh; one replica refreshes it, the other uses the old one.
	b := installMain(t, apiURL, redisURL, addrs)
	baseB := serveMain(t, b)
	var wg sync.WaitGroup
	for i, base := range []string{baseA, baseB} {
		wg.Go(func() { slashAs(t, base, "TBOOT2", fmt.Sprintf("U%d", i+1), "remind in 1h") })
	}
	wg.Wait()
	slashAs(t, baseB, "TACME1", "U7", "remind in 1h")
	slashAs(t, baseA, "TACME1", "U8", "roadmap done 1")
	fake.mu.Lock()
	refreshes := fake.refreshes
	fake.mu.Unlock()
	t.Logf("token refreshes by the two replicas: %d", refreshes)
	if refreshes != 1 {
		t.Errorf("%d token refreshes, want 1", refreshes)
	}
	if got, want := fake.callsOf("users.info"), []string{"users.info TBOOT2", "users.info TBOOT2", "users.info TACME1"}; !slices.Equal(got, want) {
		t.Errorf("users.info calls %v, want %v: each workspace's own token", got, want)
	}

	scan := func(team string) []string {
		_, lines := redisDump(t, nodes)
		var hits []string
		for _, l := range lines {
			if strings.Contains(l, team) {
				hits = append(hits, l)
			}
		}
		return hits
	}
	hits := scan("TACME1")
	t.Logf("keys naming TACME1 before its uninstall:\n  %s", strings.Join(hits, "\n  "))
	if len(hits) < 3 {
		t.Fatalf("before the uninstall Redis should hold TACME1's installation and users: %v", hits)
	}
	slackEvent(t, baseA, "TACME1", "app_uninstalled")
	slackEvent(t, baseB, "TACME1", "tokens_revoked")
	_, after := redisDump(t, nodes)
	t.Logf("SCAN 0 MATCH * after TACME1 uninstalled:\n  %s", strings.Join(after, "\n  "))
	if hits := scan("TACME1"); len(hits) != 0 {
		t.Errorf("Redis still holds TACME1 after its uninstall:\n%s", strings.Join(hits, "\n"))
	}
	if hits := scan("TBOOT2"); len(hits) < 3 {
		t.Errorf("TBOOT2 lost its data: %v", hits)
	}
	out := slashAs(t, baseB, "TACME1", "U7", "progress")
	if !strings.Contains(out, "not installed") {
		t.Errorf("a command from the uninstalled workspace: %s", out)
	}
}

// TestInstalledWorkspaceReadOnce runs the real server in install mode on
// real Redis and watches, with MONITOR, what three commands of an
// installed workspace send: its installation is read for the first only,
// so the others cost the one round trip of the bot's gate (#10.6).
func TestInstalledWorkspaceReadOnce(t *testing.T) {
	srv := redistest.Start(t)
	_, apiURL := newFakeSlackOAuth(t)
	base := serveMain(t, installMain(t, apiURL, srv.URL(), nil))
	browserInstall(t, base, "TACME1", false)

	mon, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	_ = mon.SetDeadline(time.Now().Add(30 * time.Second)) // a broken test fails, never hangs
	feed := bufio.NewReader(mon)
	if _, err := io.WriteString(mon, "MONITOR\r\n"); err != nil {
		t.Fatal(err)
	}
	if ok, err := feed.ReadString('\n'); err != nil || ok != "+OK\r\n" {
		t.Fatalf("MONITOR = %q, %v", ok, err)
	}
	for i := range 3 {
		if got := slashAs(t, base, "TACME1", fmt.Sprintf("U%d", i+1), "roadmap next"); strings.Contains(got, "not installed") {
			t.Fatalf("command %d: %s", i+1, got)
		}
	}
	// Redis runs commands one at a time: everything before the marker
	// is what the commands sent.
	const marker = "coachbot-test-marker"
	if err := srv.Client().Echo(t.Context(), marker).Err(); err != nil {
		t.Fatal(err)
	}
	var reads []string
	for {
		line, err := feed.ReadString('\n')
		if err != nil {
			t.Fatalf("MONITOR: %v (read so far: %v)", err, reads)
		}
		if strings.Contains(line, marker) {
			break
		}
		if strings.Contains(line, `"coachbot:inst:TACME1"`) {
			reads = append(reads, strings.TrimSpace(line))
		}
	}
	if len(reads) != 1 {
		t.Errorf("3 commands read the installation %d times, want 1:\n%s", len(reads), strings.Join(reads, "\n"))
	}
}
