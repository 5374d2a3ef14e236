package discord_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/adapters/discord"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// The application's key pair, fixed so that signed payloads are stable.
var (
	privateKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	publicKey  = privateKey.Public().(ed25519.PublicKey)
)

// The users of testdata's payloads.
const (
	guildUser = "80351110224678912" // member.user in the guild payloads
	dmUser    = "90351110224678913" // user in the DM payloads
)

// env is a harness bot with the adapter in front of it and the fake Discord
// behind it.
type env struct {
	h        *bottest.Harness
	fake     *fakeDiscord
	a        *discord.Adapter
	limits   *bot.LocalLimits
	commands *atomic.Int64 // commands the bot handled
	mode     string        // discord.ModeHTTP or ModeGateway
}

type envOption func(*discord.Config)

func withMode(mode string) envOption { return func(c *discord.Config) { c.Mode = mode } }

// newEnv builds an adapter in HTTP mode (unless told otherwise) on a fresh
// harness, counting the commands the bot handles.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	var n atomic.Int64
	h := bottest.New(t, bottest.WithConfig(func(c *bot.Config) {
		c.OnCommand = func(string, bot.Code, time.Duration) { n.Add(1) }
	}))
	return newEnvWith(t, h, &n, opts...)
}

func newEnvWith(t testing.TB, h *bottest.Harness, n *atomic.Int64, opts ...envOption) *env {
	t.Helper()
	fake := newFakeDiscord(t)
	limits := bot.NewLocalLimits(nil)
	cfg := discord.Config{
		Token:     testToken,
		AppID:     testAppID,
		PublicKey: hex.EncodeToString(publicKey),
		Mode:      discord.ModeHTTP,
		APIURL:    fake.APIURL(),
		Bot:       h.Bot,
		Store:     h.Store,
		Limiter:   limits,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:     h.Clock,
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := discord.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.SetMessenger("discord", a)
	return &env{h: h, fake: fake, a: a, limits: limits, commands: n, mode: cfg.Mode}
}

// answer sends an interaction the way the env's mode receives them (POST
// or the gateway) and returns the response.
func (e *env) answer(t testing.TB, body []byte) response {
	t.Helper()
	if e.mode == discord.ModeHTTP {
		return e.postOK(t, body)
	}
	return e.viaGateway(t, body)
}

// runGateway runs the adapter's gateway session until the test ends.
func (e *env) runGateway(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(bottest.WaitLimit):
			t.Error("Run did not return after its context ended")
		}
	})
}

// payload reads a testdata interaction and changes it: id and token (so
// each is new), data, and whatever else set does.
func payload(t testing.TB, file, id string, data any, set ...func(map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = id
	m["token"] = "token-" + id
	if data != nil {
		m["data"] = data
	}
	for _, f := range set {
		f(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signed returns an interactions request signed at now.
func signed(body []byte, now time.Time) *http.Request {
	ts := strconv.FormatInt(now.Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Signature-Timestamp", ts)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(privateKey, append([]byte(ts), body...))))
	return r
}

// post sends a signed interaction to the adapter's HTTP endpoint.
func (e *env) post(t testing.TB, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	e.a.ServeHTTP(w, signed(body, e.h.Clock.Now()))
	return w
}

// postOK sends a signed interaction and decodes the 200 answer.
func (e *env) postOK(t testing.TB, body []byte) response {
	t.Helper()
	w := e.post(t, body)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
	}
	return decodeWire(t, w.Header(), w.Body.Bytes())
}

// filePart is a file uploaded in a multipart request or response.
type filePart struct {
	Field, Name, ContentType string
	Body                     []byte
}

// decodeWire decodes an interaction response as Discord reads it: JSON,
// or multipart/form-data with the JSON in payload_json and the files in
// files[n] (a reply with a picture).
func decodeWire(t testing.TB, h http.Header, body []byte) response {
	t.Helper()
	payload, files := splitMultipart(t, h, body)
	r := decodeResponse(t, payload)
	r.Files = files
	return r
}

// splitMultipart returns the JSON of a request or response and its files:
// the body itself when it is JSON.
func splitMultipart(t testing.TB, h http.Header, body []byte) ([]byte, []filePart) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	switch mt {
	case "application/json":
		return body, nil
	case "multipart/form-data":
	default:
		t.Fatalf("Content-Type %q, want application/json or multipart/form-data", mt)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var (
		payload []byte
		files   []filePart
	)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		switch name := p.FormName(); {
		case name == "payload_json":
			payload = b
		case strings.HasPrefix(name, "files["):
			files = append(files, filePart{Field: name, Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Body: b})
		default:
			t.Errorf("unexpected multipart field %q", name)
		}
	}
	if payload == nil {
		t.Fatal("multipart body without payload_json")
	}
	return payload, files
}

// viaGateway dispatches an interaction on the fake gateway and returns the
// callback the adapter made for it.
func (e *env) viaGateway(t testing.TB, body []byte) response {
	t.Helper()
	var p struct{ ID, Token string }
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	e.fake.gw.Dispatch(t, body)
	c := e.fake.WaitFor("POST /api/v10/interactions/" + p.ID + "/" + p.Token + "/callback")
	return decodeWire(t, c.Header, c.Body)
}

// response is an interaction response as the wire carries it: the parts
// tests look at, and the whole as plain JSON values for comparisons.
type response struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data *struct {
		Content    string                                      `json:"content"`
		Flags      discordgo.MessageFlags                      `json:"flags"`
		Embeds     []*discordgo.MessageEmbed                   `json:"embeds"`
		Components []json.RawMessage                           `json:"components"`
		Choices    []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	} `json:"data"`
	JSON  any        `json:"-"`
	Files []filePart `json:"-"` // uploaded with it (multipart)
}

func decodeResponse(t testing.TB, body []byte) response {
	t.Helper()
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("decode response %s: %v", body, err)
	}
	if err := json.Unmarshal(body, &r.JSON); err != nil {
		t.Fatal(err)
	}
	return r
}

// asJSON marshals v and decodes it again as plain JSON values, so that
// responses compare by their wire form.
func asJSON(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// golden compares got (JSON) with testdata/name, indented, or rewrites the
// file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./adapters/discord -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, run go test ./adapters/discord -update:\n%s", path, diff)
	}
}

// opt is an option value in an interaction's data.
type opt struct {
	name  string
	value any // string or bool
}

// commandData builds an application command's data as Discord sends it for
// the words (the command, then subcommand group and subcommand) and options.
func commandData(words []string, opts ...opt) map[string]any {
	var leaf []any
	for _, o := range opts {
		typ := discordgo.ApplicationCommandOptionString
		if _, ok := o.value.(bool); ok {
			typ = discordgo.ApplicationCommandOptionBoolean
		}
		leaf = append(leaf, map[string]any{"name": o.name, "type": typ, "value": o.value})
	}
	options := leaf
	for i := len(words) - 1; i >= 1; i-- {
		typ := discordgo.ApplicationCommandOptionSubCommand
		if i < len(words)-1 {
			typ = discordgo.ApplicationCommandOptionSubCommandGroup
		}
		o := map[string]any{"name": words[i], "type": typ}
		if options != nil {
			o["options"] = options
		}
		options = []any{o}
	}
	d := map[string]any{"id": "1275506264962138173", "name": words[0], "type": 1}
	if options != nil {
		d["options"] = options
	}
	return d
}

// wantResponse is the answer to a command: the reply rendered as a new
// message.
func wantResponse(r bot.Reply) discordgo.InteractionResponse {
	return discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: withCard(r, discord.Render(r))}
}

// withCard is the rendering of a reply with a card: the embed shows the
// attachment progress.png, which the attachments list names.
func withCard(r bot.Reply, d *discordgo.InteractionResponseData) *discordgo.InteractionResponseData {
	if r.Card != nil {
		d.Embeds[0].Image = &discordgo.MessageEmbedImage{URL: "attachment://" + discord.CardFile}
		d.Attachments = &[]*discordgo.MessageAttachment{{ID: "0", Filename: discord.CardFile}}
	}
	return d
}

// wantUpdate is the answer to a button press on the presser's own message.
func wantUpdate(r bot.Reply) discordgo.InteractionResponse {
	d := withCard(r, discord.Render(r))
	d.Flags = 0
	return discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: d}
}

func mimeParse(ct string) (string, map[string]string, error) { return mime.ParseMediaType(ct) }

// rawPart is one part of a multipart body, for logging.
type rawPart struct {
	header string
	body   []byte
	json   bool
}

func readParts(t testing.TB, body []byte, boundary string) []rawPart {
	t.Helper()
	var out []rawPart
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			return out
		}
		b, _ := io.ReadAll(p)
		out = append(out, rawPart{
			header: fmt.Sprintf("Content-Disposition: %s; Content-Type: %s", p.Header.Get("Content-Disposition"), p.Header.Get("Content-Type")),
			body:   b,
			json:   p.FormName() == "payload_json",
		})
	}
}
