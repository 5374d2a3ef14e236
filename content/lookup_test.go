package content

import "testing"

func TestStepLookup(t *testing.T) {
	p := MustDefault()
	tests := []struct {
		ref       string
		wantIndex int
		wantID    string
		wantOK    bool
	}{
		{"1", 0, "languages", true},
		{"3", 2, "frameworks", true},
		{" 8 ", 7, "projects", true},
		{"databases", 1, "databases", true},
		{"Version Control", 6, "version-control", true},
		{"version_control", 6, "version-control", true},
		{"APIS", 3, "apis", true},
		// Title words, as people say them (issue 12).
		{"hosting", 4, "servers", true},
		{"web servers", 4, "servers", true},
		{"Programming Languages", 0, "languages", true},
		{"programming languages", 0, "languages", true},
		{"git", 6, "version-control", true},
		{"Version Control (Git)", 6, "version-control", true},
		{"api", 3, "apis", true},
		{"framework", 2, "frameworks", true},
		{"and", 0, "", false},         // a stop word names nothing
		{"web cooking", 0, "", false}, // every word must match
		{"servers git", 0, "", false}, // words of two steps name neither
		{"0", 0, "", false},
		{"9", 0, "", false},
		{"-1", 0, "", false},
		{"99999999999999999999", 0, "", false},
		{"cooking", 0, "", false},
		{"", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			i, s, ok := p.Step(tt.ref)
			if ok != tt.wantOK {
				t.Fatalf("Step(%q) ok = %v, want %v", tt.ref, ok, tt.wantOK)
			}
			if !ok {
				if s != nil {
					t.Errorf("Step(%q) returned a step with ok false", tt.ref)
				}
				return
			}
			if i != tt.wantIndex || s.ID != tt.wantID {
				t.Errorf("Step(%q) = %d, %q; want %d, %q", tt.ref, i, s.ID, tt.wantIndex, tt.wantID)
			}
			if s != &p.Steps[i] {
				t.Errorf("Step(%q) returned a copy, not the pack's step", tt.ref)
			}
		})
	}
}

func TestSkillLookup(t *testing.T) {
	p := MustDefault()
	tests := []struct {
		ref, want string // want "" means not found
	}{
		{"database-management", "database-management"},
		{"Database Management", "database-management"},
		{"  DATABASE_management ", "database-management"},
		{"SQL", "database-management"},
		{"git", "version-control"},
		{"Version Control", "version-control"},
		{"Testing", "debugging-testing"},
		{"debugging and testing", "debugging-testing"},
		{"api development", "api-development"},
		{"cloud", "cloud-deployment"},
		// The seed's names and words of them (issue 12).
		{"Cloud Services & Deployment", "cloud-deployment"},
		{"cloud services", "cloud-deployment"},
		{"Security Best Practices", "security"},
		{"best practices", "security"},
		{"Version Control (Git)", "version-control"},
		{"management", "database-management"},
		{"cooking", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			s, ok := p.Skill(tt.ref)
			switch {
			case tt.want == "" && ok:
				t.Errorf("Skill(%q) = %q, want not found", tt.ref, s.ID)
			case tt.want != "" && !ok:
				t.Errorf("Skill(%q) not found, want %q", tt.ref, tt.want)
			case ok && s.ID != tt.want:
				t.Errorf("Skill(%q) = %q, want %q", tt.ref, s.ID, tt.want)
			}
		})
	}
}

func TestLevelLookup(t *testing.T) {
	p := MustDefault()
	tests := []struct {
		ref, want string
	}{
		{"junior", "junior"},
		{"Entry Level", "junior"},
		{"mid", "mid"},
		{"Mid-Level", "mid"},
		{"senior", "senior"},
		{"lead", "lead"},
		{"Principal", "lead"},
		{"staff", "lead"},
		{"Lead / Principal", "lead"},
		{"lead-principal", "lead"},
		{"ARCHITECT", "architect"},
		// One set of level words for career and salary (issue 12): the
		// salary band's words name its level.
		{"backend architect", "architect"},
		{"Backend Architect", "architect"},
		{"beginner", "junior"},
		{"fresher", "junior"},
		{"experienced", "senior"},
		{"Mid-Level Developer", "mid"},
		{"developer", ""}, // in several titles: ambiguous
		{"intern", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			l, ok := p.Level(tt.ref)
			switch {
			case tt.want == "" && ok:
				t.Errorf("Level(%q) = %q, want not found", tt.ref, l.ID)
			case tt.want != "" && !ok:
				t.Errorf("Level(%q) not found, want %q", tt.ref, tt.want)
			case ok && l.ID != tt.want:
				t.Errorf("Level(%q) = %q, want %q", tt.ref, l.ID, tt.want)
			}
		})
	}
}

func TestBandLookup(t *testing.T) {
	tab := &MustDefault().Salaries[0]
	tests := []struct {
		ref, want string
	}{
		{"beginner", "beginner"},
		{"junior", "beginner"},
		{"entry", "beginner"},
		{"Entry Level", "beginner"},
		{"mid", "mid"},
		{"mid-level", "mid"},
		{"Mid Level", "mid"},
		{"intermediate", "mid"},
		{"experienced", "experienced"},
		{"senior", "experienced"},
		{"SENIOR", "experienced"},
		{"architect", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			b, ok := tab.Band(tt.ref)
			switch {
			case tt.want == "" && ok:
				t.Errorf("Band(%q) = %q, want not found", tt.ref, b.Level)
			case tt.want != "" && !ok:
				t.Errorf("Band(%q) not found, want %q", tt.ref, tt.want)
			case ok && b.Level != tt.want:
				t.Errorf("Band(%q) = %q, want %q", tt.ref, b.Level, tt.want)
			}
		})
	}
}

func TestTopicLookup(t *testing.T) {
	p := MustDefault()
	for _, tc := range []struct {
		ref        string
		step, item int
		ok         bool
	}{
		{"2.4", 1, 3, true},
		{"databases/indexes", 1, 3, true},
		{"Databases/Indexes", 1, 3, true},
		{"indexes", 1, 3, true},
		{" 1.1 ", 0, 0, true},
		{"2.0", 0, 0, false},
		{"2.99", 0, 0, false},
		{"9.1", 0, 0, false},
		{"languages/indexes", 0, 0, false}, // the topic is in another step
		{"2", 0, 0, false},
		{"databases", 0, 0, false},
		{"", 0, 0, false},
		{"1.2.3", 0, 0, false},
	} {
		si, ti, ok := p.Topic(tc.ref)
		if ok != tc.ok || ok && (si != tc.step || ti != tc.item) {
			t.Errorf("Topic(%q) = %d, %d, %t; want %d, %d, %t", tc.ref, si, ti, ok, tc.step, tc.item, tc.ok)
		}
	}
}
