package discord_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

// identify is the part of the Identify payload the tests check.
type identify struct {
	Token   string  `json:"token"`
	Intents int     `json:"intents"`
	Shard   *[2]int `json:"shard"`
}

// TestGatewayIdentify: the session asks for no intents at all, and names
// its shard when sharded.
func TestGatewayIdentify(t *testing.T) {
	tests := []struct {
		name      string
		id, count int
		want      *[2]int
	}{
		{"unsharded", 0, 0, nil},
		{"one shard", 0, 1, nil},
		{"shard 1 of 2", 1, 2, &[2]int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withMode(discord.ModeGateway), func(c *discord.Config) { c.ShardID, c.ShardCount = tt.id, tt.count })
			e.runGateway(t)
			// A PING over the gateway proves the session is up and identified.
			e.fake.gw.Dispatch(t, payload(t, "interaction-command-guild.json", "1284000000000000001", commandData([]string{"tip"})))
			e.fake.WaitFor("POST /api/v10/interactions/1284000000000000001/")
			ids := e.fake.gw.Identifies()
			if len(ids) != 1 {
				t.Fatalf("%d identifies, want 1", len(ids))
			}
			var got identify
			if err := json.Unmarshal(ids[0], &got); err != nil {
				t.Fatal(err)
			}
			if got.Token != "Bot "+testToken || got.Intents != 0 {
				t.Errorf("identify token/intents = %q/%d, want the bot token and no intents", got.Token, got.Intents)
			}
			if (got.Shard == nil) != (tt.want == nil) || (got.Shard != nil && *got.Shard != *tt.want) {
				t.Errorf("shard %v, want %v", got.Shard, tt.want)
			}
			if n := len(e.fake.CallsTo("GET /api/v10/gateway")); n != 1 {
				t.Errorf("%d gateway lookups through the API base, want 1", n)
			}
		})
	}
}

// TestGatewayUnreachable: Run reports a session it cannot open.
func TestGatewayUnreachable(t *testing.T) {
	h := bottest.New(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	a, err := discord.New(discord.Config{Token: testToken, AppID: testAppID, Bot: h.Bot, Store: h.Store, APIURL: srv.URL + "/api/v10"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bottest.WaitLimit)
	defer cancel()
	if err := a.Run(ctx); err == nil {
		t.Error("Run returned nil without a gateway")
	}
}

// TestHTTPModeRun: in HTTP mode Run only waits for its context.
func TestHTTPModeRun(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.a.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("HTTP mode made %d requests", n)
	}
}

// gatedStore holds every user read until the test opens the gate: a
// command that is slow for a reason the adapter cannot see.
type gatedStore struct {
	bot.Store
	gate    chan struct{}
	waiting atomic.Int64
}

func (s *gatedStore) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	s.waiting.Add(1)
	select {
	case <-s.gate:
	case <-ctx.Done():
		return bot.User{}, ctx.Err()
	}
	return s.Store.User(ctx, id)
}

// TestDeferred: an answer that is not ready in time is deferred (type 5,
// or 6 for a button) and edited in when the bot is done.
func TestDeferred(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		data     any
		wantType discordgo.InteractionResponseType
		private  bool // a deferred new message is ephemeral; a deferred update has no data
	}{
		{"command", "interaction-command-guild.json", commandData([]string{"progress"}), discordgo.InteractionResponseDeferredChannelMessageWithSource, true},
		{"button", "interaction-component-dm.json", map[string]any{"component_type": 2, "custom_id": "progress", "id": 2}, discordgo.InteractionResponseDeferredMessageUpdate, false},
	}
	for _, mode := range []string{discord.ModeHTTP, discord.ModeGateway} {
		for n, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				gated := &gatedStore{gate: make(chan struct{})}
				h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) { gated.Store = c.Store; c.Store = gated }))
				h.Store = gated.Store.(*bottest.MemStore)
				var cmds atomic.Int64
				e := newEnvWith(t, h, &cmds, withMode(mode), func(c *discord.Config) { c.DeferAfter = time.Millisecond })
				if mode == discord.ModeGateway {
					e.runGateway(t)
				}
				id := "12850000000000000" + string(rune('0'+n))
				body := payload(t, tt.file, id, tt.data)
				var got response
				if mode == discord.ModeHTTP {
					// Over a real connection: the deferral must arrive
					// while the bot is still at work, and close its
					// connection, so that Discord's next request does not
					// wait behind the work.
					var closed bool
					if got, closed = postLive(t, e, body); !closed {
						t.Error("the deferral keeps its connection open")
					}
				} else {
					got = e.viaGateway(t, body)
				}
				if got.Type != tt.wantType {
					t.Errorf("first response type %d, want %d", got.Type, tt.wantType)
				}
				if tt.private && (got.Data == nil || got.Data.Flags != discordgo.MessageFlagsEphemeral || len(got.Data.Embeds) != 0) ||
					!tt.private && got.Data != nil {
					t.Errorf("deferral %v", got.JSON)
				}
				if len(e.fake.CallsTo("PATCH")) != 0 {
					t.Fatal("edited before the bot answered")
				}

				close(gated.gate)
				c := e.fake.WaitFor("PATCH /api/v10/webhooks/" + testAppID + "/token-" + id + "/messages/@original")
				var edit struct {
					Content    *string           `json:"content"`
					Embeds     []json.RawMessage `json:"embeds"`
					Components []json.RawMessage `json:"components"`
				}
				payload, files := splitMultipart(t, c.Header, c.Body)
				if len(files) != 1 || files[0].Name != discord.CardFile {
					t.Errorf("edit uploads %d files, want %s", len(files), discord.CardFile)
				}
				if err := json.Unmarshal(payload, &edit); err != nil {
					t.Fatal(err)
				}
				want := discord.Render(bottest.New(t).SayAs(bot.DiscordUser(guildUser), "progress"))
				if len(edit.Embeds) != 1 || edit.Components == nil || !strings.Contains(string(edit.Embeds[0]), want.Embeds[0].Title) {
					t.Errorf("edit %s, want the progress answer", c.Body)
				}
			})
		}
	}
}

// TestAPIURLPaths: requests keep their path below a configured base that
// has a path of its own, and the gateway URL comes from that base.
func TestAPIURLPaths(t *testing.T) {
	fake := newFakeDiscord(t)
	proxy := httptest.NewServer(http.StripPrefix("/proxy/discord", fake.srv.Config.Handler))
	t.Cleanup(proxy.Close)
	h := bottest.New(t)
	a, err := discord.New(discord.Config{Token: testToken, AppID: testAppID, Bot: h.Bot, Store: h.Store,
		APIURL: proxy.URL + "/proxy/discord/api/v10/", Limiter: bot.NewLocalLimits(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SendDM(context.Background(), bot.DiscordUser(learner), bot.Reply{Title: "hi"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /api/v10/users/@me/channels", "POST /api/v10/channels/dm-" + learner + "/messages"}
	if got := callNames(fake.Calls()); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("calls %v, want %v", got, want)
	}
}

// TestAnswerKeepsConnection: an interaction answered in full keeps its
// connection for Discord's next request (only a deferral closes it: see
// TestDeferred).
func TestAnswerKeepsConnection(t *testing.T) {
	e := newEnvWith(t, bottest.New(t), new(atomic.Int64), withMode(discord.ModeHTTP))
	got, closed := postLive(t, e, payload(t, "interaction-command-guild.json", "1285000000000000100", commandData([]string{"tip"})))
	if got.Type != discordgo.InteractionResponseChannelMessageWithSource || closed {
		t.Errorf("response type %d, connection closed %v; want 4 on a kept connection", got.Type, closed)
	}
}

// postLive sends a signed interaction to the adapter served on a real
// listener and returns the response as soon as it has arrived, and
// whether the server closes the connection after it.
func postLive(t *testing.T, e *env, body []byte) (_ response, closed bool) {
	t.Helper()
	srv := httptest.NewServer(e.a)
	t.Cleanup(srv.Close)
	r := signed(body, e.h.Clock.Now())
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/discord/interactions", r.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, out)
	}
	return decodeResponse(t, out), resp.Close
}
