// Package card draws a bot.Card, the progress picture of DESIGN §11, as a
// PNG: the eight roadmap steps as bars, the overall percent, the streak,
// the plan and a 12-week heatmap of check-in minutes. The Discord and
// Slack adapters share it; the console and `coachbot card` use it too.
//
// The card is a solid dark slate panel with light text, which reads the
// same in a chat app's light and dark themes, drawn with golang.org/x/image
// and the Go fonts (font/gofont), so no font file or C library is needed.
//
// A Renderer keeps the last PNGs it drew, keyed by bot.Card.Key (the user,
// their record's revision and the local day), so a card is drawn at most
// once per revision; entries of one user never answer for another.
//
// Tokens sign the card URLs Slack fetches (COACH_PUBLIC_URL/cards/…).
//
// It imports the standard library, bot, adapters/internal/seal and
// golang.org/x/image only.
package card
