package card

import (
	"bytes"
	"container/list"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/coachbot/coachbot/bot"
)

// The card's size: wide enough for a phone to show it at full width,
// within DESIGN §11's bounds (at least 600 × 300).
const (
	Width  = 800
	Height = 450
)

// The palette: a mid-dark slate panel that stands out from both a white
// and a near-black chat background, light text, green for progress (the
// greens of a GitHub contribution graph for the heatmap).
var (
	background = color.RGBA{0x1f, 0x29, 0x37, 0xff}
	track      = color.RGBA{0x37, 0x41, 0x51, 0xff}
	textColor  = color.RGBA{0xf3, 0xf4, 0xf6, 0xff}
	muted      = color.RGBA{0x9c, 0xa3, 0xaf, 0xff}
	accent     = color.RGBA{0x34, 0xd3, 0x99, 0xff}
	streakHot  = color.RGBA{0xfb, 0x92, 0x3c, 0xff}
	heat       = [5]color.RGBA{
		{0x37, 0x41, 0x51, 0xff},
		{0x0e, 0x44, 0x29, 0xff},
		{0x00, 0x6d, 0x32, 0xff},
		{0x26, 0xa6, 0x41, 0xff},
		{0x39, 0xd3, 0x53, 0xff},
	}
)

// fonts are parsed once; faces are made per render because an opentype
// Face keeps a buffer and is not safe for concurrent use.
var fonts = sync.OnceValues(func() (*[2]*opentype.Font, error) {
	r, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("card: parse Go Regular: %w", err)
	}
	b, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("card: parse Go Bold: %w", err)
	}
	return &[2]*opentype.Font{r, b}, nil
})

// faces are the sizes of text one card uses.
type faces struct {
	title, big, huge, label, small font.Face
}

func newFaces() (*faces, error) {
	fs, err := fonts()
	if err != nil {
		return nil, err
	}
	var ferr error
	face := func(f *opentype.Font, size float64) font.Face {
		ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil && ferr == nil {
			ferr = fmt.Errorf("card: font face: %w", err)
		}
		return ff
	}
	f := &faces{
		title: face(fs[1], 30),
		huge:  face(fs[1], 44),
		big:   face(fs[1], 36),
		label: face(fs[0], 18),
		small: face(fs[0], 15),
	}
	return f, ferr
}

// Render draws the card and encodes it as a PNG.
func Render(c *bot.Card) ([]byte, error) {
	img, err := Draw(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(48 << 10)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("card: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// canvas draws on one image.
type canvas struct {
	img *image.RGBA
}

func (cv *canvas) rect(x0, y0, x1, y1 int, col color.RGBA) {
	draw.Draw(cv.img, image.Rect(x0, y0, x1, y1), image.NewUniform(col), image.Point{}, draw.Src)
}

// text draws s with its baseline at y, from x; right aligns its end at x.
func (cv *canvas) text(face font.Face, col color.Color, x, y int, s string, right bool) int {
	d := font.Drawer{Dst: cv.img, Src: image.NewUniform(col), Face: face}
	w := d.MeasureString(s)
	if right {
		d.Dot = fixed.Point26_6{X: fixed.I(x) - w, Y: fixed.I(y)}
	} else {
		d.Dot = fixed.P(x, y)
	}
	d.DrawString(s)
	return w.Ceil()
}

// bar draws a progress bar of done out of total.
func (cv *canvas) bar(x0, y0, x1, y1, done, total int, col color.RGBA) {
	cv.rect(x0, y0, x1, y1, track)
	if total > 0 && done > 0 {
		cv.rect(x0, y0, x0+(x1-x0)*min(done, total)/total, y1, col)
	}
}

// fit shortens s with "…" until it is at most w pixels wide in face.
func fit(face font.Face, s string, w int) string {
	if font.MeasureString(face, s).Ceil() <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; font.MeasureString(face, t).Ceil() <= w {
			return t
		}
	}
	return "…"
}

// Draw draws the card.
func Draw(c *bot.Card) (*image.RGBA, error) {
	f, err := newFaces()
	if err != nil {
		return nil, err
	}
	cv := &canvas{img: image.NewRGBA(image.Rect(0, 0, Width, Height))}
	cv.rect(0, 0, Width, Height, background)
	const left, right, mid = 32, Width - 32, 428

	// Header: title, overall percent and its bar.
	cv.text(f.title, textColor, left, 58, "Backend roadmap", false)
	cv.text(f.huge, accent, right, 62, strconv.Itoa(c.Percent)+"%", true)
	cv.bar(left, 80, right, 90, c.Percent, 100, accent)

	// The steps: number and title, count, a thin bar under each.
	y := 130
	for i, s := range c.Steps {
		count := fmt.Sprintf("%d/%d", s.Done, s.Total)
		countCol := muted
		if s.Total > 0 && s.Done == s.Total {
			countCol = accent // the Go fonts have no check mark
		}
		cw := cv.text(f.small, countCol, mid-40, y, count, true)
		cv.text(f.label, textColor, left, y, fit(f.label, fmt.Sprintf("%d  %s", i+1, s.Title), mid-40-left-cw-12), false)
		cv.bar(left, y+7, mid-40, y+12, s.Done, s.Total, accent)
		y += 36
	}

	// The streak.
	hx := mid + 12
	streakCol := muted
	if c.Streak > 0 {
		streakCol = streakHot
	}
	w := cv.text(f.big, streakCol, hx, 150, strconv.Itoa(c.Streak), false)
	cv.text(f.label, textColor, hx+w+10, 136, "day streak", false)
	cv.text(f.small, muted, hx+w+10, 154, "best "+daysText(c.Best), false)

	// The heatmap: a column a week, Monday on top; weekday initials on
	// the left; days after today left out.
	const cell, gap = 20, 4
	gx, gy := hx+22, 202
	cv.text(f.small, muted, hx, gy-12, "Study, last 12 weeks", false)
	for row, name := range []string{"M", "", "W", "", "F", "", "S"} {
		if name != "" {
			cv.text(f.small, muted, hx, gy+row*(cell+gap)+15, name, false)
		}
	}
	today := c.HeatRow()
	for wk := range bot.HeatWeeks {
		for row := range 7 {
			if wk == bot.HeatWeeks-1 && row > today {
				continue
			}
			x, y := gx+wk*(cell+gap), gy+row*(cell+gap)
			cv.rect(x, y, x+cell, y+cell, heat[c.Heat[wk][row].Level()])
		}
	}
	// Legend: less … more.
	ly := gy + 7*(cell+gap) + 8
	lx := gx + bot.HeatWeeks*(cell+gap) - gap - 5*14
	cv.text(f.small, muted, lx-8, ly+12, "less", true)
	for i, col := range heat {
		cv.rect(lx+i*14, ly, lx+i*14+11, ly+11, col)
	}
	cv.text(f.small, muted, lx+5*14+4, ly+12, "more", false)

	// The plan, at the foot.
	plan := "No study plan yet: plan HOURS sets one"
	if c.PlanHours > 0 {
		plan = fmt.Sprintf("Plan: %d h a week, %s, finish %s", c.PlanHours, c.PlanStatus, c.PlanFinish.Format("Mon 2 Jan 2006"))
	} else if c.Percent == 100 {
		plan = "Roadmap finished!"
	}
	cv.text(f.label, textColor, left, Height-26, plan, false)
	return cv.img, nil
}

// daysText is "1 day" or "12 days".
func daysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// Renderer renders cards and keeps the last PNGs it made, so a card is
// drawn at most once per user revision. It is safe for concurrent use.
type Renderer struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *entry, most recent first
	byKey map[string]*list.Element
	// Renders counts the cards drawn (not served from the cache), for
	// tests and metrics.
	renders int
}

type entry struct {
	key string
	png []byte
}

// NewRenderer returns a Renderer that keeps up to size PNGs (at least 1).
func NewRenderer(size int) *Renderer {
	return &Renderer{max: max(size, 1), order: list.New(), byKey: map[string]*list.Element{}}
}

// PNG returns the card as a PNG, from the cache when a card of the same
// Key was drawn. A card without a Key is drawn and not kept. The bytes
// returned are shared: callers must not change them.
func (r *Renderer) PNG(c *bot.Card) ([]byte, error) {
	if c.Key != "" {
		r.mu.Lock()
		if e, ok := r.byKey[c.Key]; ok {
			r.order.MoveToFront(e)
			b := e.Value.(*entry).png
			r.mu.Unlock()
			return b, nil
		}
		r.mu.Unlock()
	}
	b, err := Render(c)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.renders++
	if c.Key == "" {
		return b, nil
	}
	if e, ok := r.byKey[c.Key]; ok { // drawn meanwhile by another call
		return e.Value.(*entry).png, nil
	}
	r.byKey[c.Key] = r.order.PushFront(&entry{key: c.Key, png: b})
	for r.order.Len() > r.max {
		e := r.order.Back()
		r.order.Remove(e)
		delete(r.byKey, e.Value.(*entry).key)
	}
	return b, nil
}

// Renders returns how many cards r has drawn.
func (r *Renderer) Renders() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.renders
}
