package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"time"

	"github.com/slack-go/slack"

	"github.com/coachbot/coachbot/bot"
)

// refreshBefore is how long before a rotating token expires it is
// refreshed. Slack's rotating tokens live 12 hours; half an hour leaves
// room for a replica that lost the refresh race to keep using the old one,
// which Slack honours until it expires.
const refreshBefore = 30 * time.Minute

// refreshLock is how long the replica that won a refresh holds it: the
// other replicas wait this long before trying again if it failed.
const refreshLock = time.Minute

// client returns the Web API client for calls about users of team: the
// team's own bot token when it installed the app, else the bot token of
// the one workspace the adapter was configured with (COACH_SLACK_BOT_TOKEN),
// else errNotInstalled. A rotating token close to its expiry is refreshed
// first, by one replica.
func (a *Adapter) client(ctx context.Context, team string) (*slack.Client, error) {
	if a.oauth == nil {
		return a.api, nil
	}
	in, err := a.installationFor(ctx, team)
	if errors.Is(err, errNotInstalled) && a.api != nil {
		return a.api, nil
	}
	if err != nil {
		return nil, err
	}
	if !in.Expires.IsZero() && !a.clock.Now().Before(in.Expires.Add(-refreshBefore)) {
		if in, err = a.refresh(ctx, in); err != nil {
			return nil, err
		}
	}
	return slack.New(in.BotToken, slack.OptionAPIURL(a.apiURL), slack.OptionHTTPClient(a.http)), nil
}

// refresh exchanges in's refresh token for a new bot token and stores it.
// Slack's refresh tokens are single-use, so only the replica that takes
// the lock (a Deduper key named after a hash of the refresh token, so the
// next refresh, 12 hours on, has a lock of its own) refreshes; the others go on
// with the token they have while it is still good.
func (a *Adapter) refresh(ctx context.Context, in installation) (installation, error) {
	stillGood := a.clock.Now().Before(in.Expires)
	// The key names neither the team nor the token: it is kept a minute,
	// and an uninstall leaves nothing that names the workspace.
	sum := sha256.Sum256([]byte(in.Team + "\x00" + in.RefreshToken))
	won, err := a.oauth.dedupe.FirstSeen(ctx, "slack-refresh:"+hex.EncodeToString(sum[:16]), refreshLock)
	if err != nil || !won {
		if stillGood {
			return in, nil
		}
		if err == nil {
			err = bot.Errorf(bot.Unavailable, "another replica is refreshing the workspace's token")
		}
		return in, err
	}
	resp, err := slack.RefreshOAuthV2TokenContext(ctx, a.http, a.oauth.clientID, a.oauth.clientSecret, in.RefreshToken, slack.OAuthOptionAPIURL(a.apiURL))
	if err == nil && (resp.AccessToken == "" || resp.RefreshToken == "" || resp.ExpiresIn <= 0 || (resp.Team.ID != "" && resp.Team.ID != in.Team)) {
		err = errors.New("unusable answer")
	}
	if err != nil {
		a.log.Error("slack token refresh failed", "team", teamHash(in.Team), "code", errorCode(err), "err", redactedErr(err))
		if stillGood {
			return in, nil
		}
		return in, fmt.Errorf("slack: token refresh: %w", redactedErr(err))
	}
	in.BotToken, in.RefreshToken = resp.AccessToken, resp.RefreshToken
	in.Expires = a.clock.Now().Add(time.Duration(resp.ExpiresIn) * time.Second).UTC()
	if err := a.putInstallation(ctx, in); err != nil {
		// The old refresh token is spent: without the new one stored the
		// workspace must install again once this token expires.
		a.log.Error("slack token refresh: storing the new token failed", "team", teamHash(in.Team), "err", err)
		return in, nil
	}
	a.log.Info("slack token refreshed", "team", teamHash(in.Team))
	return in, nil
}

// teamHash is a workspace as the log shows it: a pseudonym, never its id.
func teamHash(team string) string { return bot.HashUser(bot.UserID("slack:" + team)) }

// redactedErr keeps only an API error's code: slack-go's errors carry no
// token, but an HTTP error names the URL, and the log needs no more than
// the code.
func redactedErr(err error) error {
	if c := errorCode(err); c != "" {
		return errors.New(c)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return fmt.Errorf("status %d", sc.Code)
	}
	return errors.New("no answer")
}
