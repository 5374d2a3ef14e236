package slack

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/coachbot/coachbot/bot"
)

// ackTimeout bounds queueing an acknowledgement for the websocket.
const ackTimeout = 5 * time.Second

// stableConnection is how long RunContext must have run for a later
// failure to count as new trouble, which restarts the backoff.
const stableConnection = time.Minute

// Run runs Socket Mode when the adapter has an app token: it connects out
// to Slack and answers slash commands and button presses that arrive over
// the websocket, with the same handlers as the HTTP endpoints. slack-go
// reconnects by itself after a dropped connection; when its RunContext
// returns (a refused token, a failed reconnect) Run starts it again after a
// backoff (1 s doubling to 1 min), until ctx ends. Without an app token
// (HTTP mode) it only waits for ctx. It returns nil when ctx ends, after the
// Socket Mode work it started has finished. Call it once per Adapter.
func (a *Adapter) Run(ctx context.Context) error {
	if a.appToken == "" {
		<-ctx.Done()
		return nil
	}
	api := slack.New(a.botToken,
		slack.OptionAPIURL(a.apiURL),
		slack.OptionHTTPClient(a.http),
		slack.OptionAppLevelToken(a.appToken),
	)
	client := socketmode.New(api)

	var work sync.WaitGroup // the event loop and the commands it started
	defer work.Wait()
	work.Go(func() { a.socketEvents(ctx, client, &work) })

	wait := a.minRestart
	for {
		started := time.Now()
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > stableConnection {
			wait = a.minRestart
		}
		a.log.Warn("slack socket mode stopped: restarting", "err", err, "after", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(wait*2, a.maxRestart)
	}
}

// socketEvents drains the client's events until ctx ends. Envelopes from
// Slack are acknowledged; the client's own events are logged.
func (a *Adapter) socketEvents(ctx context.Context, client *socketmode.Client, work *sync.WaitGroup) {
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return
		case evt = <-client.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			cmd, ok := evt.Data.(slack.SlashCommand)
			if !ok || evt.Request == nil {
				continue
			}
			req := *evt.Request
			// Answering may take up to the inline budget: do not hold
			// up the envelopes behind it.
			work.Go(func() { a.socketCommand(ctx, client, req, cmd) })
		case socketmode.EventTypeInteractive:
			if evt.Request == nil {
				continue
			}
			a.ack(ctx, client, *evt.Request, nil)
			if ic, ok := evt.Data.(slack.InteractionCallback); ok {
				// Socket Mode: a connection the app opened, nothing to
				// replay. The bot's answer must not hold up the envelopes
				// behind it.
				work.Go(func() { a.press(ctx, ic, "") })
			}
		case socketmode.EventTypeEventsAPI:
			// The uninstall events are handled over HTTP only (installs
			// need HTTP mode); acknowledge any event that comes here so
			// Slack does not send it again.
			if evt.Request != nil {
				a.ack(ctx, client, *evt.Request, nil)
			}
		case socketmode.EventTypeConnecting:
			if e, ok := evt.Data.(*slack.ConnectingEvent); ok && e.ConnectionCount > 0 && e.Attempt == 1 {
				a.log.Info("slack socket mode connection lost: reconnecting")
			}
		case socketmode.EventTypeConnected:
			a.log.Info("slack socket mode connected")
		case socketmode.EventTypeConnectionError:
			if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
				a.log.Warn("slack socket mode connection failed", "attempt", e.Attempt, "backoff", e.Backoff, "err", e.ErrorObj)
			}
		case socketmode.EventTypeInvalidAuth:
			a.log.Error("slack socket mode: the app token was refused")
		case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
			a.log.Warn("slack socket mode message error", "type", string(evt.Type))
		default:
			// hello: nothing to do (it needs no ack).
		}
	}
}

// socketCommand answers a slash command through its envelope's ack, as the
// HTTP endpoint answers through its response. A reply too slow or too big
// for the ack is acknowledged empty and follows through response_url.
func (a *Adapter) socketCommand(ctx context.Context, client *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
	if cmd.TeamID == "" || cmd.UserID == "" {
		a.ack(ctx, client, req, nil)
		return
	}
	// No replay key: never refused.
	user := bot.SlackUser(cmd.TeamID, cmd.UserID)
	r, msg, inline, _ := a.answer(ctx, cmd, "", func() { a.ack(ctx, client, req, nil) })
	if inline {
		if err := a.tryAck(ctx, client, req, toWire(msg)); err != nil {
			// Over Slack's 20 KB ack limit: acknowledge, then post.
			a.ack(ctx, client, req, nil)
			a.followUp(context.WithoutCancel(ctx), user, cmd.ResponseURL, msg)
		}
	}
	a.uploadCard(context.WithoutCancel(ctx), user, r.Card)
}

func (a *Adapter) tryAck(ctx context.Context, client *socketmode.Client, req socketmode.Request, payload any) error {
	ctx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	return client.AckCtx(ctx, req.EnvelopeID, payload)
}

func (a *Adapter) ack(ctx context.Context, client *socketmode.Client, req socketmode.Request, payload any) {
	if err := a.tryAck(ctx, client, req, payload); err != nil {
		a.log.Warn("slack socket mode ack failed", "err", err)
	}
}
