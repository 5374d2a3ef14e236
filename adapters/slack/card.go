package slack

import (
	"fmt"
	"net/http"
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
// public endpoint), or without a public URL or secret key.
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

// renderFor is render, plus the progress card as an image block (under
// the progress bar) when the reply has one and cards are on.
func (a *Adapter) renderFor(user bot.UserID, r bot.Reply) slack.Msg {
	m := a.render(r)
	if r.Card == nil || a.cards == nil {
		return m
	}
	url := a.cards.base + cardPath + a.cards.tokens.Make(user, a.clock.Now()) + ".png"
	alt := fmt.Sprintf("Progress card: %d%% of the roadmap, a %d-day streak, and a heatmap of the last 12 weeks of study", r.Card.Percent, r.Card.Streak)
	img := slack.NewImageBlock(url, clip(alt, maxAltText), "progress-card", nil)
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
