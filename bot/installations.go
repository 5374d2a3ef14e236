package bot

import (
	"context"
	"strings"
)

// Installations is implemented by stores that keep the installations of a
// chat app that many workspaces add (Slack's "Add to Slack"): per
// workspace (team), opaque bytes the adapter sealed (encrypted under
// COACH_SECRET_KEY), so no store ever holds a token it can read. It is
// optional, resolved once at wiring; every Store of this repository has
// it, and bot/storetest checks them.
type Installations interface {
	// Installation returns the sealed installation of team, or
	// ErrNoInstallation.
	Installation(ctx context.Context, team string) ([]byte, error)

	// PutInstallation stores (or replaces) team's sealed installation.
	PutInstallation(ctx context.Context, team string, sealed []byte) error

	// DeleteInstallation removes team's installation; none is no error.
	DeleteInstallation(ctx context.Context, team string) error

	// UsersWithPrefix lists the users the store keeps anything about whose
	// id begins with prefix (SlackUser(team, "") lists a workspace's), in
	// no particular order, each once. An uninstall forgets each of them,
	// which is why a store finds them from its own keys rather than from a
	// list kept beside them that could drift.
	UsersWithPrefix(ctx context.Context, prefix string) ([]UserID, error)
}

// ErrNoInstallation is Installations.Installation's answer for a team that
// has not installed the app (or uninstalled it).
var ErrNoInstallation = &Error{Code: NotFound, Message: "This workspace has not installed the app."}

// ValidateTeam reports whether a store can keep an installation for team:
// 1 to 64 ASCII letters and digits, as Slack's team and enterprise ids are.
// The narrow alphabet keeps the id safe in keys and in a Redis SCAN pattern.
func ValidateTeam(team string) error {
	if team == "" || len(team) > 64 {
		return Errorf(Invalid, "That workspace id can't be stored.")
	}
	for _, c := range team {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return Errorf(Invalid, "That workspace id can't be stored.")
		}
	}
	return nil
}

// ValidatePrefix reports whether a store can look users up by prefix: a
// platform and its colon at least ("slack:"), without NUL (see
// UserID.Validate). Stores may keep the platform part of ids in a short
// form, so a prefix that cuts it in two cannot be looked up.
func ValidatePrefix(prefix string) error {
	if !strings.Contains(prefix, ":") || strings.IndexByte(prefix, 0) >= 0 {
		return Errorf(Invalid, "That user id prefix can't be looked up.")
	}
	return nil
}
