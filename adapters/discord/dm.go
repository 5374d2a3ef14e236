package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/bot"
)

// Discord's JSON error codes the adapter acts on.
const (
	codeUnknownChannel = 10003 // the cached DM channel is gone
	codeCannotDM       = 50007 // the user does not accept DMs from the bot
	codeNoMutualGuilds = 50278 // the user shares no server with the bot (a user install, say)
)

// dmClosedReason is what a user whose DMs are closed is told, through the
// core's pause notice, on their next command.
const dmClosedReason = "Discord won't let me message you directly; allow direct messages from server members and try again"

// noMutualGuildsReason is what a user who shares no server with the bot is
// told: someone who installed the app to their own account can use its
// commands anywhere, but Discord lets a bot open a DM only with people in
// one of its servers.
const noMutualGuildsReason = "Discord won't let me message you directly while we share no server; join a server I'm in (or add me to one of yours) and try again"

// defaultRetryAfter is used when a 429 does not say how long to wait.
const defaultRetryAfter = time.Second

// SendDM implements bot.Messenger: it sends the rendered Reply to the
// user's DM channel, opening the channel the first time and caching its id
// in the user's record (bot.DMChannel).
//
// Every REST call takes a token from the shared "discord:global" bucket
// first (50 a second for all replicas together), waiting for one within
// ctx. A 429 is not retried here: it comes back as a bot.DeliveryError with
// RetryAfter, and the scheduler tries again then. Errors 50007 (the user
// does not accept DMs from the bot) and 50278 (the user shares no server
// with the bot) are permanent DeliveryErrors, which pause the user's
// reminders and tell them why on their next command. A cached channel that
// Discord no longer knows (10003) is forgotten and the send tried once more.
func (a *Adapter) SendDM(ctx context.Context, to bot.UserID, r bot.Reply) error {
	userID, ok := strings.CutPrefix(string(to), "discord:")
	if !ok || userID == "" {
		return fmt.Errorf("discord: %s is not a Discord user", bot.HashUser(to))
	}
	msg := RenderMessage(r)
	png := a.cardPNG(r)
	if png != nil {
		attachCard(msg.Embeds)
	}
	for attempt := 0; ; attempt++ {
		opened := false
		channel, err := bot.DMChannel(ctx, a.store, to, func(ctx context.Context) (string, error) {
			opened = true
			if err := a.pace(ctx); err != nil {
				return "", err
			}
			ch, err := call(ctx, func(opt discordgo.RequestOption) (*discordgo.Channel, error) {
				return a.session.UserChannelCreate(userID, opt)
			})
			if err != nil {
				return "", deliveryError(err)
			}
			return ch.ID, nil
		})
		if err != nil {
			return err
		}
		if err := a.pace(ctx); err != nil {
			return err
		}
		_, err = call(ctx, func(opt discordgo.RequestOption) (*discordgo.Message, error) {
			if f := pngFile(png); f != nil {
				msg.Files = []*discordgo.File{f} // a new reader for each try
			}
			return a.session.ChannelMessageSendComplex(channel, msg, opt)
		})
		if err == nil {
			return nil
		}
		if !opened && attempt == 0 && discordCode(err) == codeUnknownChannel {
			a.log.Info("discord DM channel gone, opening a new one", "user", bot.HashUser(to))
			if ferr := bot.ForgetDMChannel(ctx, a.store, to); ferr != nil {
				return ferr
			}
			continue
		}
		return deliveryError(err)
	}
}

// pace waits for a token from the shared global bucket. If none will come
// before ctx ends, it says so as a DeliveryError, so the scheduler retries
// the send later instead of timing out.
func (a *Adapter) pace(ctx context.Context) error {
	for {
		ok, wait, err := a.limiter.Allow(ctx, globalBucket, globalRate, globalBurst)
		if err != nil {
			return fmt.Errorf("discord: rate limiter: %w", err)
		}
		if ok {
			return nil
		}
		if deadline, has := ctx.Deadline(); has && time.Until(deadline) < wait {
			return &bot.DeliveryError{RetryAfter: wait, Err: errors.New("discord: global request budget spent")}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// call runs one discordgo REST call bound to ctx. The request carries ctx,
// and the call returns when ctx ends even if discordgo is still waiting on
// its own per-route bucket (a wait that ignores contexts); the request then
// fails as soon as that wait is over, without being sent.
func call[T any](ctx context.Context, fn func(discordgo.RequestOption) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn(discordgo.WithContext(ctx))
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// deliveryError classifies a REST error for the scheduler.
func deliveryError(err error) error {
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = defaultRetryAfter
		}
		return &bot.DeliveryError{RetryAfter: wait, Err: err}
	}
	switch discordCode(err) {
	case codeCannotDM:
		return &bot.DeliveryError{Permanent: true, Reason: dmClosedReason, Err: err}
	case codeNoMutualGuilds:
		return &bot.DeliveryError{Permanent: true, Reason: noMutualGuildsReason, Err: err}
	}
	return err
}

// discordCode is the JSON error code of a REST error, 0 when there is none.
func discordCode(err error) int {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Message != nil {
		return rest.Message.Code
	}
	return 0
}
