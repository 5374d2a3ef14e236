package slack

import (
	"strconv"
	"testing"
	"time"
)

// TestInstalledTeamsBounded: the remembered workspaces never pass
// installedMax; expired ones go first, and when all are fresh the map
// starts again (every team is then read from the store once more).
func TestInstalledTeamsBounded(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var teams installedTeams
	for i := range installedMax {
		at := t0
		if i%2 == 0 {
			at = t0.Add(-installedTTL) // expired by t0
		}
		teams.add("T"+strconv.Itoa(i), at)
	}
	teams.add("TNEW", t0)
	if n := len(teams.until); n != installedMax/2+1 {
		t.Errorf("after dropping the expired: %d teams, want %d", n, installedMax/2+1)
	}
	if teams.known("T0", t0) || !teams.known("T1", t0) || !teams.known("TNEW", t0) {
		t.Error("an expired team is known, or a fresh one is not")
	}
	for i := range installedMax {
		teams.add("F"+strconv.Itoa(i), t0)
	}
	if n := len(teams.until); n > installedMax {
		t.Errorf("%d teams remembered, more than %d", n, installedMax)
	}
	var one installedTeams
	one.add("TA", t0)
	if !one.known("TA", t0.Add(installedTTL-time.Nanosecond)) || one.known("TA", t0.Add(installedTTL)) {
		t.Error("a team is not known for exactly installedTTL")
	}
	one.forget("TA")
	if one.known("TA", t0) {
		t.Error("a forgotten team is known")
	}
}
