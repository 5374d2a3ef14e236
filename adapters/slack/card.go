package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/bot"
)

// cardPath is where the progress cards are served: GET
// /cards/{token}.png, the URL of a reply's image block.
const cardPath = "/cards/"

// cardCacheSize bounds the PNGs an adapter keeps (about 50 KB each).
const cardCacheSize = 128

// cards is the progress picture over HTTP: Slack shows an image block by
// fetching its URL, so the reply carries a signed URL of this server and
// the card is drawn when Slack asks. Nil when off: in Socket Mode (no
// public endpoint: uploadCard puts the card into the DM instead), or
// without a public URL or secret key.
type cards struct {
	base   string // COACH_PUBLIC_URL without a trailing "/"
	tokens *card.Tokens
	render *card.Renderer
}

// newCards returns the cards of an HTTP-mode adapter with a public URL
// and a secret key, nil otherwise.
func newCards(cfg Config) (*cards, error) {
	if cfg.AppToken != "" || cfg.PublicURL == "" || len(cfg.SecretKey) == 0 {
		return nil, nil
	}
	t, err := card.NewTokens(cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	return &cards{base: strings.TrimRight(cfg.PublicURL, "/"), tokens: t, render: card.NewRenderer(cardCacheSize)}, nil
}

// uploadCard puts c, the progress card of a reply (nil: none), into the
// user's DM, after the reply itself: in Socket Mode Slack cannot fetch an
// image from us, since there is no public endpoint (DESIGN §11). Over HTTP
// (uploads nil) the reply carries the card's URL instead. Uploading needs
// the files:write scope, which the HTTP app's manifest does not ask for;
// without it Slack answers missing_scope, and the card is skipped with a
// warning: the reply has said everything the card shows.
func (a *Adapter) uploadCard(ctx context.Context, user bot.UserID, c *bot.Card) {
	if c == nil || a.uploads == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, followUpTimeout)
	defer cancel()
	err := a.tryUploadCard(ctx, user, c)
	var ue *url.Error
	if errors.As(err, &ue) {
		// It would name the upload URL, which works as a credential
		// while it lives.
		err = fmt.Errorf("%s upload: %w", ue.Op, ue.Err)
	}
	if err != nil {
		a.log.Warn("slack progress card not uploaded", "user", bot.HashUser(user), "code", errorCode(err), "err", err)
	}
}

func (a *Adapter) tryUploadCard(ctx context.Context, user bot.UserID, c *bot.Card) error {
	png, err := a.uploads.PNG(c)
	if err != nil {
		return err
	}
	team, uid, err := splitUser(user)
	if err != nil {
		return err
	}
	api, err := a.client(ctx, team)
	if err != nil {
		return err
	}
	ch, err := bot.DMChannel(ctx, a.store, user, func(ctx context.Context) (string, error) { return openDM(ctx, api, uid) })
	if err != nil {
		return err
	}
	_, err = api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(png), FileSize: len(png), Filename: "progress.png",
		Title: "Your progress", AltTxt: clip(cardAlt(c), maxAltText), Channel: ch,
	})
	return err
}

// cardAlt describes the card for those who cannot see it.
func cardAlt(c *bot.Card) string {
	return fmt.Sprintf("Progress card: %d%% of the roadmap, a %d-day streak, and a heatmap of the last 12 weeks of study", c.Percent, c.Streak)
}

// renderFor is render, plus the progress card as an image block (under
// the progress bar) when the reply has one and cards are on.
func (a *Adapter) renderFor(user bot.UserID, r bot.Reply) slack.Msg {
	m := a.render(r)
	if r.Card == nil || a.cards == nil {
		return m
	}
	url := a.cards.base + cardPath + a.cards.tokens.Make(user, a.clock.Now()) + ".png"
	img := slack.NewImageBlock(url, clip(cardAlt(r.Card), maxAltText), "progress-card", nil)
	set := slices.Clone(m.Blocks.BlockSet) // never change a cached message
	at := len(set)
	for i, b := range set {
		if c, ok := b.(*slack.ContextBlock); ok && c.BlockID == "progress" {
			at = i + 1
			break
		}
	}
	m.Blocks.BlockSet = slices.Insert(set, at, slack.Block(img))
	return m
}

// serveCard answers GET /cards/{token}.png with the card of the user the
// token names, drawn as their record stands now (cached per revision). A
// malformed, tampered, foreign or expired token, or a user no longer
// known, gets 404 and nothing else: the token is checked before anything
// is read.
func (a *Adapter) serveCard(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok {
		http.NotFound(w, r)
		return
	}
	user, err := a.cards.tokens.Open(tok, a.clock.Now())
	if err != nil {
		a.refusals.Refused(r.Pattern, "bad or expired card token")
		http.NotFound(w, r)
		return
	}
	c, err := a.bot.ProgressCard(r.Context(), user)
	switch {
	case bot.ErrorCode(err) == bot.NotFound:
		http.NotFound(w, r)
		return
	case err != nil:
		a.log.Warn("slack card", "code", bot.ErrorCode(err), "err", err)
		http.Error(w, "card unavailable", http.StatusServiceUnavailable)
		return
	}
	png, err := a.cards.render.PNG(c)
	if err != nil {
		a.log.Error("slack card render", "err", err)
		http.Error(w, "card unavailable", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	// The URL dies within a day; Slack's image proxy may keep the picture
	// for an hour, and a browser for as long, but no shared cache should.
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(png)
}
