package bot_test

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones the binary embeds, whatever this machine has

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
)

// TestZoneNamesAreGos holds zonenames.txt, the zones LoadZone accepts, to
// the names in the Go release's lib/time/zoneinfo.zip, which is what
// time/tzdata embeds, less Factory. -update rewrites the file after a Go
// upgrade.
func TestZoneNamesAreGos(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	zr, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var want []string
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/") && f.Name != "Factory" {
			want = append(want, f.Name)
		}
	}
	slices.Sort(want)
	if *update {
		if err := os.WriteFile("zonenames.txt", []byte(strings.Join(want, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile("zonenames.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(data))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("zonenames.txt is not Go's zoneinfo.zip less Factory (-zip +file); run go test ./bot -run TestZoneNamesAreGos -update:\n%s", diff)
	}
	// Every name loads, under its own spelling and in lower case.
	for _, name := range got {
		for _, in := range []string{name, strings.ToLower(name)} {
			loc, err := bot.LoadZone(in)
			if err != nil {
				t.Errorf("LoadZone(%q): %v", in, err)
				continue
			}
			if loc.String() != name {
				t.Errorf("LoadZone(%q) = %q, want %q", in, loc.String(), name)
			}
		}
		if _, err := time.LoadLocation(name); err != nil {
			t.Errorf("time.LoadLocation(%q): %v", name, err)
		}
	}
}
