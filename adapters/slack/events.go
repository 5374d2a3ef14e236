package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/coachbot/coachbot/bot"
)

// eventEnvelope is the part of an Events API request the adapter reads.
type eventEnvelope struct {
	Type      string `json:"type"`      // url_verification or event_callback
	Challenge string `json:"challenge"` // url_verification's
	TeamID    string `json:"team_id"`
	Event     struct {
		Type   string `json:"type"` // app_uninstalled, tokens_revoked
		Tokens struct {
			OAuth []string `json:"oauth"`
			Bot   []string `json:"bot"`
		} `json:"tokens"`
	} `json:"event"`
}

// serveEvents answers the Events API, verified like every Slack request:
// url_verification (Slack checks the URL when it is saved) and the two
// events that end an install, app_uninstalled and tokens_revoked (a bot
// token revoked), which come in either order and may be resent: each
// deletes the installation and everything kept about the workspace's
// users, and the second finds nothing left to delete. Other events are
// acknowledged and ignored. A failure answers 500, so Slack sends the
// event again.
func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	var ev eventEnvelope
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	switch ev.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(ev.Challenge))
		return
	case "event_callback":
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	uninstall := ev.Event.Type == "app_uninstalled" || ev.Event.Type == "tokens_revoked" && len(ev.Event.Tokens.Bot) > 0
	if !uninstall {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := bot.ValidateTeam(ev.TeamID); err != nil {
		// An org-wide (Enterprise Grid) event, which names no team:
		// coachbot refuses such installs, so there is nothing to delete.
		// A 200 keeps Slack from sending it again.
		a.log.Info("slack uninstall event without a workspace id: ignored", "event", ev.Event.Type)
		w.WriteHeader(http.StatusOK)
		return
	}
	n, err := a.Uninstall(r.Context(), ev.TeamID)
	if err != nil {
		a.log.Error("slack uninstall failed: Slack will send the event again", "event", ev.Event.Type, "team", teamHash(ev.TeamID), "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	a.log.Info("slack workspace uninstalled", "event", ev.Event.Type, "team", teamHash(ev.TeamID), "users_forgotten", n)
	w.WriteHeader(http.StatusOK)
}

// Uninstall deletes team's installation and everything kept about its
// users (record, reminders, claims, dead letters, command buckets), and
// returns how many users it forgot. It is idempotent.
func (a *Adapter) Uninstall(ctx context.Context, team string) (int, error) {
	inst := a.inst
	if inst == nil {
		return 0, errors.New("slack: the store keeps no installations, so it cannot list a workspace's users")
	}
	ctx = context.WithoutCancel(ctx) // finish even if Slack hangs up
	if err := inst.DeleteInstallation(ctx, team); err != nil {
		return 0, err
	}
	a.installed.forget(team)
	ids, err := inst.UsersWithPrefix(ctx, string(bot.SlackUser(team, "")))
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, a.store.Forget(ctx, id))
	}
	return len(ids), errors.Join(errs...)
}
