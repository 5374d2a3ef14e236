package slack

import (
	"strings"
	"testing"
)

// TestSplitText checks the chunking of long texts for Slack's limits: every
// chunk fits, code fences stay balanced in each chunk, and no content is
// lost or reordered.
func TestSplitText(t *testing.T) {
	code := "```\n" + strings.Repeat("x := a < b // a line of code\n", 12) + "```"
	tests := []struct {
		name   string
		text   string
		limit  int
		chunks int // expected number of chunks; -1: more than one
	}{
		{"blank", " \n ", 100, 0},
		{"fits", "one\ntwo", 100, 1},
		{"lines", strings.Repeat("a line of ten\n", 10), 40, -1},
		{"one long line", strings.Repeat("word ", 100), 60, -1},
		{"code block across chunks", "Before.\n" + code + "\nAfter.", 120, -1},
		{"emoji count twice", strings.Repeat("🚀", 30), 40, 2},
		{"blank lines between", "a\n\n\n\nb", 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := splitText(tt.text, tt.limit)
			switch {
			case tt.chunks >= 0 && len(chunks) != tt.chunks:
				t.Fatalf("%d chunks, want %d: %q", len(chunks), tt.chunks, chunks)
			case tt.chunks < 0 && len(chunks) < 2:
				t.Fatalf("%d chunks, want several: %q", len(chunks), chunks)
			}
			var rebuilt []string
			for i, c := range chunks {
				if n := textLen(c); n > tt.limit {
					t.Errorf("chunk %d has %d units, limit %d: %q", i, n, tt.limit, c)
				}
				if strings.TrimSpace(c) == "" {
					t.Errorf("chunk %d is blank", i)
				}
				if n := strings.Count(c, "```"); n%2 != 0 {
					t.Errorf("chunk %d has unbalanced fences: %q", i, c)
				}
				for _, l := range strings.Split(c, "\n") {
					if l != "```" && strings.TrimSpace(l) != "" {
						rebuilt = append(rebuilt, l)
					}
				}
			}
			var want []string
			for _, l := range strings.Split(tt.text, "\n") {
				if l != "```" && strings.TrimSpace(l) != "" {
					want = append(want, l)
				}
			}
			// Long lines may be cut in pieces: compare the words.
			if g, w := strings.Fields(strings.Join(rebuilt, " ")), strings.Fields(strings.Join(want, " ")); strings.Join(g, "") != strings.Join(w, "") {
				t.Errorf("content changed:\n got %q\nwant %q", g, w)
			}
		})
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"a longer title", 8, "a longe…"},
		{"🚀🚀🚀🚀", 5, "🚀🚀…"},
		{"cut at a space here", 11, "cut at a…"},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.limit); got != tt.want || textLen(got) > tt.limit {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}
