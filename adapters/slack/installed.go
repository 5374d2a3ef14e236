package slack

import (
	"sync"
	"time"
)

const (
	// installedTTL is how long a replica trusts, without asking the
	// store, that a workspace it found installed still is. Without it a
	// command of an installed workspace costs two store round trips (the
	// installation, then the bot's) where DESIGN §9 wants one. An
	// uninstall clears the replica that receives the event at once;
	// another replica answers that workspace for at most this long, when
	// Slack has stopped sending its commands anyway.
	installedTTL = time.Minute
	// installedMax bounds the teams remembered: each entry is a workspace
	// whose signed command reached us, but the map must not grow without
	// end on a long-lived replica.
	installedMax = 10000
)

// installedTeams is the workspaces this replica recently found installed.
// A workspace not installed is never remembered, so an install takes
// effect at once everywhere.
type installedTeams struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// known reports whether team was found installed less than installedTTL
// before now.
func (t *installedTeams) known(team string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.until[team]
	return ok && now.Before(until)
}

// add remembers that team was found installed at now.
func (t *installedTeams) add(team string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.until == nil {
		t.until = map[string]time.Time{}
	}
	if len(t.until) >= installedMax {
		for k, until := range t.until {
			if !now.Before(until) {
				delete(t.until, k)
			}
		}
		if len(t.until) >= installedMax {
			clear(t.until) // all fresh: start again rather than grow
		}
	}
	t.until[team] = now.Add(installedTTL)
}

// forget drops team, after its uninstall.
func (t *installedTeams) forget(team string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.until, team)
}
