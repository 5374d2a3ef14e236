package content

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultPack(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatalf("Default() = %v", err)
	}

	t.Run("steps in roadmap order", func(t *testing.T) {
		want := []string{"languages", "databases", "frameworks", "apis", "servers", "security", "version-control", "projects"}
		var got []string
		for _, s := range p.Steps {
			got = append(got, s.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("step ids (-want +got):\n%s", diff)
		}
	})

	t.Run("topics and resources per step", func(t *testing.T) {
		for _, s := range p.Steps {
			if n := len(s.Topics); n < 4 || n > 8 {
				t.Errorf("step %q has %d topics, want 4-8", s.ID, n)
			}
			for _, tp := range s.Topics {
				if n := len(tp.Resources); n < 1 || n > 5 {
					t.Errorf("step %q topic %q has %d resources, want 1-5", s.ID, tp.ID, n)
				}
			}
		}
	})

	t.Run("counts", func(t *testing.T) {
		tests := []struct {
			name      string
			got, want int
			atLeast   bool
		}{
			{"skills", len(p.Skills), 7, false},
			{"levels", len(p.Levels), 5, false},
			{"salary tables", len(p.Salaries), 1, false},
			{"tips", len(p.Tips), 12, true},
		}
		for _, tt := range tests {
			if tt.atLeast && tt.got < tt.want || !tt.atLeast && tt.got != tt.want {
				t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
			}
		}
	})

	t.Run("skill and level ids", func(t *testing.T) {
		var skills, levels []string
		for _, s := range p.Skills {
			skills = append(skills, s.ID)
		}
		for _, l := range p.Levels {
			levels = append(levels, l.ID)
		}
		wantSkills := []string{"programming-languages", "database-management", "api-development", "version-control", "cloud-deployment", "security", "debugging-testing"}
		if diff := cmp.Diff(wantSkills, skills); diff != "" {
			t.Errorf("skill ids (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"junior", "mid", "senior", "lead", "architect"}, levels); diff != "" {
			t.Errorf("level ids (-want +got):\n%s", diff)
		}
	})

	t.Run("salary table", func(t *testing.T) {
		tab := &p.Salaries[0]
		want := map[string]string{
			"beginner":    "₹4.5 L – ₹10 L",
			"mid":         "₹10 L – ₹14 L",
			"experienced": "₹15 L – ₹20 L",
		}
		for level, text := range want {
			b, ok := tab.Band(level)
			if !ok {
				t.Errorf("Band(%q) not found", level)
				continue
			}
			if got := tab.RangeText(*b); got != text {
				t.Errorf("RangeText(%s) = %q, want %q", level, got, text)
			}
		}
		got := struct{ ID, Region, Currency, Period, Updated string }{tab.ID, tab.Region, tab.Currency, tab.Period, tab.Source.Updated}
		wantMeta := struct{ ID, Region, Currency, Period, Updated string }{"india-2025", "India", "INR", "year", "2025-07-23"}
		if diff := cmp.Diff(wantMeta, got); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
		if tab.Year != 2025 {
			t.Errorf("Year = %d, want 2025", tab.Year)
		}
	})

	t.Run("block text is trimmed", func(t *testing.T) {
		if w := p.Steps[0].Why; w == "" || w[len(w)-1] == '\n' {
			t.Errorf("Why = %q, want trimmed text", w)
		}
	})
}

func TestMustDefault(t *testing.T) {
	if p := MustDefault(); len(p.Steps) == 0 {
		t.Fatal("MustDefault returned an empty pack")
	}
}

func TestDefaultReturnsIndependentPacks(t *testing.T) {
	a, b := MustDefault(), MustDefault()
	a.Steps[0].Title = "changed"
	if b.Steps[0].Title == "changed" {
		t.Fatal("packs from Default share memory; a caller's change leaks into others")
	}
}

func TestLoadDir(t *testing.T) {
	t.Run("a copy of the embedded pack", func(t *testing.T) {
		dir := t.TempDir()
		for name, f := range embeddedFiles(t) {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := LoadDir(dir)
		if err != nil {
			t.Fatalf("LoadDir = %v", err)
		}
		if diff := cmp.Diff(MustDefault(), got); diff != "" {
			t.Errorf("LoadDir differs from Default (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name string
		dir  func(t *testing.T) string
		want Problems
	}{
		{
			name: "directory does not exist",
			dir:  func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") },
			want: Problems{{Message: "directory does not exist"}},
		},
		{
			name: "not a directory",
			dir: func(t *testing.T) string {
				f := filepath.Join(t.TempDir(), "file")
				if err := os.WriteFile(f, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return f
			},
			want: Problems{{Message: "not a directory"}},
		},
		{
			name: "empty directory",
			dir:  func(t *testing.T) string { return t.TempDir() },
			want: Problems{
				{File: "roadmap.yaml", Message: "file is missing"},
				{File: "skills.yaml", Message: "file is missing"},
				{File: "career.yaml", Message: "file is missing"},
				{File: "salaries.yaml", Message: "file is missing"},
				{File: "tips.yaml", Message: "file is missing"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			p, err := LoadDir(dir)
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("LoadDir = %v, %v; want *Problems", p, err)
			}
			want := append(Problems(nil), tt.want...)
			for i := range want {
				if want[i].File == "" {
					want[i].File = dir
				}
			}
			if diff := cmp.Diff(want, *ps); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblemsText(t *testing.T) {
	ps := Problems{
		{File: "roadmap.yaml", Item: `step "databases" / topic "sql" / resource 2`, Message: "url must start with https://"},
		{File: "tips.yaml", Message: "file is missing"},
	}
	t.Run("one problem", func(t *testing.T) {
		want := `roadmap.yaml: step "databases" / topic "sql" / resource 2: url must start with https://`
		if got := ps[0].String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	})
	t.Run("all problems", func(t *testing.T) {
		want := "roadmap.yaml: step \"databases\" / topic \"sql\" / resource 2: url must start with https://\n" +
			"tips.yaml: file is missing"
		var err error = &ps
		if got := err.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	})
}

func TestRangeString(t *testing.T) {
	tests := []struct {
		r    Range
		want string
	}{
		{Range{5, 9}, "5-9"},
		{Range{0, 2}, "0-2"},
		{Range{15, 0}, "15+"},
		{Range{4, 4}, "4"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("%+v.String() = %q, want %q", tt.r, got, tt.want)
			}
		})
	}
}

func TestAmount(t *testing.T) {
	inr := &SalaryTable{Symbol: "₹", Unit: "L"}
	usd := &SalaryTable{Symbol: "$"}
	tests := []struct {
		name string
		tab  *SalaryTable
		v    float64
		want string
	}{
		{"fraction", inr, 4.5, "₹4.5 L"},
		{"whole number has no .0", inr, 10, "₹10 L"},
		{"float noise is rounded away", inr, 0.1 + 0.2, "₹0.3 L"},
		{"no unit", usd, 85000, "$85000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tab.Amount(tt.v); got != tt.want {
				t.Errorf("Amount(%v) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
	t.Run("range with equal ends", func(t *testing.T) {
		if got := inr.RangeText(SalaryBand{Min: 12, Max: 12}); got != "₹12 L" {
			t.Errorf("RangeText = %q, want %q", got, "₹12 L")
		}
	})
}
