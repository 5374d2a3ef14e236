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
	// EventTime is when Slack dispatched the event, in Unix seconds; its
	// retries keep it.
	EventTime int64 `json:"event_time"`
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
//
// An uninstall that comes again must not undo what came after it: a
// workspace that removes the app and adds it back within minutes would
// otherwise lose its new installation to Slack's retry of the old event
// (Slack retries for up to an hour when an answer was slow or lost), or
// to a captured copy sent inside the signature's 5 minutes. So an event
// older than the workspace's installation is acknowledged and ignored,
// and an exact copy of a request (its signature, as for commands) is
// ignored before it costs a scan of the store.
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
	if a.dedupe != nil {
		first, err := a.dedupe.FirstSeen(r.Context(), once(r.Header), bot.ReplayWindow)
		if err != nil {
			a.log.Error("slack uninstall: the replay check failed: Slack will send the event again", "event", ev.Event.Type, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if !first {
			a.log.Info("slack uninstall event repeated: ignored", "event", ev.Event.Type, "team", teamHash(ev.TeamID))
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	if stale, err := a.olderThanInstall(r.Context(), ev.TeamID, ev.EventTime); err != nil {
		a.log.Error("slack uninstall: cannot read the installation: Slack will send the event again", "event", ev.Event.Type, "team", teamHash(ev.TeamID), "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	} else if stale {
		a.log.Info("slack uninstall event older than the workspace's installation: ignored", "event", ev.Event.Type, "team", teamHash(ev.TeamID))
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

// olderThanInstall reports whether an event Slack dispatched at
// eventTime (Unix seconds) predates team's installation: the workspace
// installed the app again after it, so the event is about an install
// that is gone. Without installs (one bot token of our own) there is no
// installation to compare with, and an event without a time is never
// older. An installation that does not open (another COACH_SECRET_KEY)
// is not worth keeping: the event goes ahead. The times are Slack's clock
// and ours; a few seconds of skew matter only to an uninstall that
// follows its install by less than that.
func (a *Adapter) olderThanInstall(ctx context.Context, team string, eventTime int64) (bool, error) {
	if a.oauth == nil || eventTime <= 0 {
		return false, nil
	}
	sealed, err := a.inst.Installation(ctx, team)
	switch {
	case errors.Is(err, bot.ErrNoInstallation):
		return false, nil // uninstalled already: finishing it again is harmless
	case err != nil:
		return false, err
	}
	in, err := a.openInstallation(team, sealed)
	if err != nil {
		return false, nil
	}
	return in.Installed.Unix() > eventTime, nil
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
