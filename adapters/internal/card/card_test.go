package card_test

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/coachbot/coachbot/adapters/internal/card"
	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
)

var update = flag.Bool("update", false, "rewrite the golden images")

// learnerCard is the card of bottest.Learner: 3 steps done, a 12-day
// streak and a plan.
func learnerCard(t testing.TB) *bot.Card {
	t.Helper()
	c := bottest.Learner(t).Say("progress").Card
	if c == nil {
		t.Fatal("progress carries no card")
	}
	return c
}

// TestGolden compares the decoded pixels of each card with its golden
// image: a font or zlib change may move a few antialiased pixels, so a
// small share of pixels may differ a little; bytes are not compared.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		card func(testing.TB) *bot.Card
	}{
		{"learner", learnerCard},
		{"new-user", func(t testing.TB) *bot.Card { return bottest.New(t).Say("progress").Card }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := card.Render(tt.card(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 100<<10 {
				t.Errorf("card is %d bytes, want at most 100 KB", len(b))
			}
			path := filepath.Join("testdata", tt.name+".png")
			if *update {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if n, total := differ(got, want, 24); n*1000 > total {
				t.Errorf("%d of %d pixels differ from %s by more than 24 in a channel (allowed: 0.1%%); look at the picture and run with -update if the change is meant", n, total, path)
			}
		})
	}
}

// differ counts the pixels of a and b that differ by more than tol in
// some channel (every pixel when the sizes differ).
func differ(a, b image.Image, tol int) (n, total int) {
	r := a.Bounds()
	total = r.Dx() * r.Dy()
	if r != b.Bounds() {
		return total, total
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				if d > tol || -d > tol {
					n++
					break
				}
			}
		}
	}
	return n, total
}

// TestDifferCatchesChanges keeps the golden comparison honest: another
// card must not pass as the learner's.
func TestDifferCatchesChanges(t *testing.T) {
	c := learnerCard(t)
	a, _ := card.Draw(c)
	c2 := *c
	c2.Streak = 3
	b, _ := card.Draw(&c2)
	if n, total := differ(a, b, 24); n*1000 <= total {
		t.Errorf("a streak of 3 instead of 12 changes %d of %d pixels: the tolerance hides it", n, total)
	}
}

// TestRendererCache draws a card once per key, keeps users apart and
// forgets the least recently used.
func TestRendererCache(t *testing.T) {
	c := learnerCard(t)
	r := card.NewRenderer(2)
	first, err := r.PNG(c)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if b, err := r.PNG(c); err != nil || !bytes.Equal(b, first) {
				t.Errorf("cached card differs (%v)", err)
			}
		})
	}
	wg.Wait()
	if n := r.Renders(); n != 1 {
		t.Errorf("%d renders of one card, want 1", n)
	}
	// Another user's card with otherwise the same data is drawn anew.
	other := *c
	other.Key = "console:bob" + c.Key[len("test:ana"):]
	other.Streak = 1
	b, _ := r.PNG(&other)
	if bytes.Equal(b, first) || r.Renders() != 2 {
		t.Errorf("another user's card came from the cache (%d renders)", r.Renders())
	}
	third := *c
	third.Key = "test:carl|1|1"
	r.PNG(&third) // evicts c, the least recently used
	r.PNG(c)
	if n := r.Renders(); n != 4 {
		t.Errorf("%d renders, want 4: the evicted card drawn again", n)
	}
}

// BenchmarkRender measures drawing and encoding one card (no cache).
func BenchmarkRender(b *testing.B) {
	c := learnerCard(b)
	var size int
	for b.Loop() {
		png, err := card.Render(c)
		if err != nil {
			b.Fatal(err)
		}
		size = len(png)
	}
	b.ReportMetric(float64(size), "bytes/card")
}
