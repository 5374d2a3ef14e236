package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/coachbot/coachbot/bot"
)

// unreachableReason is what a user whose DMs Slack refuses reads on their
// next command ("I couldn't send you a study reminder because …").
const unreachableReason = "Slack won't let me message you directly (your workspace or your Slack settings may block messages from apps)"

// notInstalledReason is what a user reads when their workspace no longer
// has the app installed.
const notInstalledReason = "coachbot is no longer installed in your Slack workspace"

// permanentErrors are Slack error codes that mean this user cannot get a
// DM from the bot, so retrying is pointless.
var permanentErrors = map[string]bool{
	"cannot_dm_bot":     true,
	"user_not_found":    true,
	"user_not_visible":  true,
	"user_disabled":     true,
	"account_inactive":  true,
	"not_in_channel":    true,
	"is_archived":       true,
	"channel_not_found": true,
}

// staleChannelErrors are the codes a cached DM channel gets when it no
// longer works; a fresh conversations.open may fix them.
var staleChannelErrors = map[string]bool{
	"channel_not_found": true,
	"not_in_channel":    true,
	"is_archived":       true,
}

// defaultRetryAfter is used for a 429 without a usable Retry-After.
const defaultRetryAfter = 30 * time.Second

// SendDM implements bot.Messenger: it posts r to the user's DM with the
// bot, opening the DM (conversations.open) only when the store has no
// cached channel. A rate limit comes back as a bot.DeliveryError with
// RetryAfter; a user Slack will not let the bot message (cannot_dm_bot,
// user_not_found, a deactivated account, an archived or unknown channel
// even after reopening) as a Permanent one, so their reminders pause. A
// cached channel that stopped working is forgotten and the DM reopened
// once; nothing is retried more than that here, the scheduler owns retries.
func (a *Adapter) SendDM(ctx context.Context, to bot.UserID, r bot.Reply) error {
	team, uid, err := splitUser(to)
	if err != nil {
		return &bot.DeliveryError{Permanent: true, Reason: unreachableReason, Err: err}
	}
	api, err := a.client(ctx, team)
	if errors.Is(err, errNotInstalled) {
		return &bot.DeliveryError{Permanent: true, Reason: notInstalledReason, Err: err}
	}
	if err != nil {
		return err
	}
	msg := a.renderFor(to, r)
	for attempt := 1; ; attempt++ {
		opened := false
		ch, err := bot.DMChannel(ctx, a.store, to, func(ctx context.Context) (string, error) {
			opened = true
			return openDM(ctx, api, uid)
		})
		if err != nil {
			return deliveryError(err)
		}
		_, _, err = api.PostMessageContext(ctx, ch,
			slack.MsgOptionText(msg.Text, false),
			slack.MsgOptionBlocks(msg.Blocks.BlockSet...),
		)
		if err == nil {
			a.uploadCard(ctx, to, r.Card) // Socket Mode's picture, after the text
			return nil
		}
		if code := errorCode(err); staleChannelErrors[code] {
			// Forget the channel either way: a later send (after the user
			// fixed things) must open a fresh one.
			if ferr := bot.ForgetDMChannel(ctx, a.store, to); ferr != nil {
				return ferr
			}
			if !opened && attempt == 1 {
				a.log.Info("slack DM channel went stale: reopening", "user", bot.HashUser(to), "err", err)
				continue
			}
		}
		return deliveryError(err)
	}
}

// openDM opens (or finds) the bot's DM channel with a Slack user.
func openDM(ctx context.Context, api *slack.Client, uid string) (string, error) {
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{uid}})
	if err != nil {
		return "", err
	}
	if ch == nil || ch.ID == "" {
		return "", errors.New("conversations.open returned no channel")
	}
	return ch.ID, nil
}

// deliveryError turns a Slack error into what the scheduler understands.
// Errors it does not know (network, 5xx, the store) pass through and are
// retried with backoff.
func deliveryError(err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		after := rl.RetryAfter
		if after <= 0 {
			after = time.Second
		}
		return &bot.DeliveryError{RetryAfter: after, Err: err}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return &bot.DeliveryError{RetryAfter: defaultRetryAfter, Err: err}
	}
	if permanentErrors[errorCode(err)] {
		return &bot.DeliveryError{Permanent: true, Reason: unreachableReason, Err: err}
	}
	return err
}

// errorCode returns the Web API's error code ("cannot_dm_bot"), "" when err
// is not an API error.
func errorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// UserZone implements bot.ZoneFinder: the IANA zone of the user's Slack
// profile (users.info tz), used when they set a reminder without one.
func (a *Adapter) UserZone(ctx context.Context, id bot.UserID) (string, error) {
	team, uid, err := splitUser(id)
	if err != nil {
		return "", err
	}
	api, err := a.client(ctx, team)
	if err != nil {
		return "", err
	}
	u, err := api.GetUserInfoContext(ctx, uid)
	if err != nil {
		return "", fmt.Errorf("users.info: %w", err)
	}
	return u.TZ, nil
}

// splitUser reads "slack:<team>:<user>".
func splitUser(id bot.UserID) (team, user string, err error) {
	rest, ok := strings.CutPrefix(string(id), "slack:")
	if ok {
		team, user, ok = strings.Cut(rest, ":")
	}
	if !ok || team == "" || user == "" || strings.Contains(user, ":") {
		return "", "", fmt.Errorf("not a Slack user id: %s", bot.HashUser(id))
	}
	return team, user, nil
}

// Interface checks: the adapter is Slack's Messenger and knows zones.
var (
	_ bot.Messenger  = (*Adapter)(nil)
	_ bot.ZoneFinder = (*Adapter)(nil)
)
