package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/adapters/internal/webhook"
	"github.com/coachbot/coachbot/bot"
)

// FreshnessWindow is how far an HTTP interaction's signed timestamp may be
// from now. Discord signs each request as it sends it; an older one is a
// replay.
const FreshnessWindow = 5 * time.Minute

// editTimeout bounds the REST call that edits a deferred answer in.
const editTimeout = 10 * time.Second

// respondTimeout bounds the REST call that answers a gateway interaction:
// after 3 s Discord has given up on it anyway.
const respondTimeout = 3 * time.Second

// Register mounts the HTTP interactions endpoint, POST /discord/interactions,
// on mux. In gateway mode it does nothing: interactions then arrive over
// the gateway, and an endpoint that could not verify requests must not exist.
func (a *Adapter) Register(mux *http.ServeMux) {
	if a.mode != ModeHTTP {
		return
	}
	mux.Handle("POST /discord/interactions", a)
}

// ServeHTTP answers one HTTP interaction. Nothing is parsed or touched
// before the request is verified: a body over webhook.MaxBodyBytes gets 413; a
// missing or bad Ed25519 signature over timestamp + body, or a timestamp
// outside FreshnessWindow, gets 401. A PING gets a PONG (it touches
// nothing). Everything else is answered in the response, as over the
// gateway, but for a replay: the bot refuses an interaction id it has seen
// (bot.Inbound.Once, checked in the same round trip as the rate limit and
// the user's read), which gets 401; when the store cannot tell, the bot
// answers only what reads the content alone. The id is remembered only once the
// signature holds, so forged requests cannot burn real ids. An
// autocomplete is not checked: it reads the content and nothing else.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, ok := webhook.ReadBody(w, r)
	if !ok {
		return
	}
	if err := a.verify(r.Header, body); err != nil {
		// Discord itself sends forged requests now and then to check that
		// the endpoint refuses them, so this is not an error.
		a.refusals.Refused(r.Pattern, err.Error()) // verify's reasons are constants
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	i, err := decodeInteraction(body)
	if err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	sent := false
	err = a.dispatch(context.WithoutCancel(r.Context()), i, "discord:"+i.ID, func(resp *discordgo.InteractionResponse, key string) error {
		if sent {
			return errors.New("discord: interaction already answered")
		}
		sent = true
		if resp.Data != nil && len(resp.Data.Files) > 0 {
			// A picture: the response itself is multipart/form-data,
			// payload_json and files[0], as Discord takes an upload.
			ct, body, err := discordgo.MultipartBodyWithJSON(resp, resp.Data.Files)
			if err != nil {
				return fmt.Errorf("discord: multipart response: %w", err)
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, err = w.Write(body)
			return err
		}
		deferred := resp.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource ||
			resp.Type == discordgo.InteractionResponseDeferredMessageUpdate
		if deferred {
			webhook.CloseWhenDone(w)
		}
		if err := webhook.WriteCachedJSON(w, &a.bodies, key, resp); err != nil {
			return err
		}
		if deferred {
			// The bot is still at work: the deferral must reach Discord now.
			return webhook.Flush(w)
		}
		return nil
	})
	if err != nil && !sent { // the bot refused a replay (bot.ErrReplayed)
		http.Error(w, "repeated interaction", http.StatusUnauthorized)
	}
}

// verify checks the request's Ed25519 signature over timestamp + body with
// the application's public key, and that the timestamp is fresh.
func (a *Adapter) verify(h http.Header, body []byte) error {
	sigHex, ts := h.Get("X-Signature-Ed25519"), h.Get("X-Signature-Timestamp")
	if a.publicKey == nil {
		return errors.New("no public key configured")
	}
	if len(sigHex) != 2*ed25519.SignatureSize || ts == "" {
		return errors.New("missing or malformed signature headers")
	}
	var sig [ed25519.SignatureSize]byte
	if _, err := hex.Decode(sig[:], []byte(sigHex)); err != nil {
		return errors.New("signature is not hex")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("timestamp is not a number")
	}
	if age := a.clock.Now().Sub(time.Unix(sec, 0)); age > FreshnessWindow || age < -FreshnessWindow {
		return errors.New("timestamp outside the freshness window")
	}
	buf := signedPool.Get().(*[]byte)
	msg := append(append((*buf)[:0], ts...), body...)
	ok := ed25519.Verify(a.publicKey, msg, sig[:])
	*buf = msg
	signedPool.Put(buf)
	if !ok {
		return errors.New("signature does not match")
	}
	return nil
}

// signedPool recycles the buffers that hold timestamp + body for verify.
var signedPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// onEvent answers an interaction that came over the gateway, with the
// same dispatch as the HTTP endpoint and the answer sent by REST. It reads
// the event's raw data with decodeInteraction rather than taking
// discordgo's InteractionCreate, which drops where the interaction ran
// (install.go).
func (a *Adapter) onEvent(s *discordgo.Session, e *discordgo.Event) {
	if e == nil || e.Type != "INTERACTION_CREATE" {
		return
	}
	i, err := decodeInteraction(e.RawData)
	if err != nil {
		a.log.Warn("discord gateway interaction not read", "err", err)
		return
	}
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("discord interaction panicked", "type", int(i.Type), "panic", p)
		}
	}()
	ctx := context.WithoutCancel(a.baseContext())
	// Over the gateway an interaction comes from Discord itself, on a
	// connection the bot opened: there is nothing to replay.
	_ = a.dispatch(ctx, i, "", func(resp *discordgo.InteractionResponse, _ string) error {
		rctx, cancel := context.WithTimeout(ctx, respondTimeout)
		defer cancel()
		return s.InteractionRespond(&i.Interaction, resp, discordgo.WithContext(rctx))
	})
}

// dispatch answers an interaction: it sends the response with send, at
// once when the bot answers within DeferAfter; otherwise it sends a
// deferral when that time is up, and edits the answer in when the bot is
// done. The bot runs in the calling goroutine; only a timer waits beside it.
// once is the interaction's replay key (bot.Inbound.Once), "" for none.
// When the bot refuses the interaction (a replay), dispatch sends nothing
// more and returns the bot's error.
//
// An application command becomes its command line (commandLine); a button
// press runs the command line in its custom_id as the user who pressed it,
// and a select menu that command followed by the chosen values.
// A press updates the message it is on when that message is the presser's
// own (ephemeral, or in the DM with the bot); a press on a message others
// see is answered privately instead, so one user's answer never replaces
// what others are reading. Where the bot is a guest (interaction.private:
// someone else's DM, a server that did not install the app) every answer
// is private.
func (a *Adapter) dispatch(ctx context.Context, i *interaction, once string, send func(resp *discordgo.InteractionResponse, cacheKey string) error) error {
	replyKeyed := func(resp *discordgo.InteractionResponse, key string) {
		if err := send(resp, key); err != nil {
			a.log.Warn("discord interaction response", "type", int(resp.Type), "err", redact(err, i.Token))
		}
	}
	reply := func(resp *discordgo.InteractionResponse) { replyKeyed(resp, "") }
	if i.Type == discordgo.InteractionPing {
		reply(&discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return nil
	}
	var (
		line   string
		update bool
	)
	switch data := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		switch i.Type {
		case discordgo.InteractionApplicationCommandAutocomplete:
			reply(a.autocomplete(data))
			return nil
		case discordgo.InteractionApplicationCommand:
			line = a.commandLine(data)
		}
	case discordgo.MessageComponentInteractionData:
		line = data.CustomID
		if data.ComponentType == discordgo.SelectMenuComponent {
			// A select menu carries a command; the chosen values are its
			// arguments (DESIGN §2). None chosen means nothing to run.
			line = ""
			if len(data.Values) > 0 {
				line = (&bot.Select{Command: data.CustomID}).Line(data.Values)
			}
		}
		update = i.ownMessage()
	}
	user := interactionUser(&i.Interaction)
	if line == "" || user == "" {
		a.log.Warn("discord interaction not understood", "type", int(i.Type))
		reply(a.respond(bot.Reply{Text: "Sorry, I can only answer my commands and buttons. Type **/coach help** to see them."}, false))
		return nil
	}
	uid := bot.DiscordUser(user)
	if a.log.Enabled(ctx, slog.LevelDebug) { // the pseudonym is an HMAC: not for a line never written
		a.log.Debug("discord interaction", "type", int(i.Type), "user", bot.HashUser(uid))
	}

	// If the bot is still busy when the timer fires, acknowledge now and
	// edit the answer in later. A deferred new message is private, since
	// whether the answer is public is not known yet.
	d := webhook.DeferAfter(a.deferAfter, func() {
		resp := &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}
		if update {
			resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
		}
		reply(resp)
	})
	r, err := a.bot.Serve(ctx, bot.Inbound{User: uid, Line: line, Once: once})
	// Where the bot is a guest, nothing it says is for everyone.
	overridden := r.Public && i.private()
	if overridden {
		r.Public = false
	}
	late := d.Done() // waits for a deferral being sent
	if err != nil {
		// A deferral already sent went to whoever replayed the request;
		// the interaction's message is not edited.
		return err
	}
	if late {
		a.edit(ctx, i, r)
		return nil
	}
	if r.CacheKey == "" {
		reply(a.respond(r, update))
		return nil
	}
	// The same answer for everyone: rendered once per kind of response.
	key := r.CacheKey + "\x00new"
	if update {
		key = r.CacheKey + "\x00update"
	}
	if overridden {
		key += "\x00private" // not the rendering of the Reply as cached for others
	}
	resp, _ := a.responses.Get(key, func() (*discordgo.InteractionResponse, error) { return a.respond(r, update), nil })
	replyKeyed(resp, key)
	return nil
}

// respond is the immediate answer: a new message, or the updated message a
// button was on. Nothing changes a response once made, so a cached one may
// be sent many times.
func (a *Adapter) respond(r bot.Reply, update bool) *discordgo.InteractionResponse {
	data := Render(r)
	if f := a.cardFile(r); f != nil {
		data.Files = []*discordgo.File{f}
		att := attachCard(data.Embeds)
		data.Attachments = &att
	}
	if update {
		data.Flags = 0 // an update keeps the message's own visibility
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: data}
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data}
}

// edit replaces a deferred answer with the reply.
func (a *Adapter) edit(ctx context.Context, i *interaction, r bot.Reply) {
	data := Render(r)
	var (
		files []*discordgo.File
		att   *[]*discordgo.MessageAttachment
	)
	if f := a.cardFile(r); f != nil {
		files = []*discordgo.File{f}
		l := attachCard(data.Embeds)
		att = &l
	}
	ic := i.Interaction
	if ic.AppID == "" {
		ic.AppID = a.appID
	}
	ctx, cancel := context.WithTimeout(ctx, editTimeout)
	defer cancel()
	_, err := a.session.InteractionResponseEdit(&ic, &discordgo.WebhookEdit{
		Content:     &data.Content,
		Embeds:      &data.Embeds,
		Components:  &data.Components,
		Files:       files,
		Attachments: att,
	}, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Warn("discord edit deferred answer", "err", redact(err, i.Token))
	}
}

// interactionUser is the id of the user behind an interaction: the member's
// user in a server, the user in a DM.
func interactionUser(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// redact keeps an interaction token (a credential for 15 minutes, part of
// callback URLs that errors quote) out of the log.
func redact(err error, token string) string {
	s := err.Error()
	if token != "" {
		s = strings.ReplaceAll(s, token, "[token]")
	}
	return s
}
