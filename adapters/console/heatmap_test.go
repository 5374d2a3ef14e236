package console_test

import (
	"bytes"
	"context"
	"image/png"
	"testing"

	"github.com/coachbot/coachbot/adapters/console"
	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/bot/bottest"
)

// TestHeatmap draws the heatmap of bottest.Learner (a 12-day streak up to
// Monday 23 November) as text, against a golden file.
func TestHeatmap(t *testing.T) {
	c := bottest.Learner(t).Say("progress").Card
	golden(t, "heatmap-learner", console.Heatmap(c))
}

// TestWriteCard writes the console user's card as a PNG that decodes to
// the card's size.
func TestWriteCard(t *testing.T) {
	h := bottest.Learner(t)
	var buf bytes.Buffer
	if err := console.WriteCard(context.Background(), h.Bot, "ana", &buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != card.Width || b.Dy() != card.Height {
		t.Errorf("card is %v", b)
	}
}
