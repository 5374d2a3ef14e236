// Package slack connects coachbot to Slack with slack-go: slash commands and
// button presses over HTTP (POST /slack/commands, POST /slack/interactions)
// or over Socket Mode, Block Kit rendering of the core's Reply (the progress
// card as an image block over HTTP, uploaded into the DM over Socket Mode),
// reminder DMs
// (bot.Messenger), the user's profile time zone (bot.ZoneFinder) and the
// app manifest made from the command spec.
//
// Every command, typed or pressed, goes through bot.Bot.Handle as a command
// line of the text grammar: the adapter only turns Slack's payloads into a
// line and a bot.UserID ("slack:<team>:<user>") and renders the Reply. It
// adds no command of its own, so the spec stays the single source of the
// grammar.
//
// Requests are verified (HMAC-SHA256 over the raw body, 5-minute window)
// before anything is parsed; a request that fails gets 401 and touches
// nothing. Logs name users only as bot.HashUser and never hold a token, the
// signing secret or message text.
//
// "Add to Slack" (Config.ClientID; HTTP only) lets any workspace install
// the app: GET /slack/install sends the browser to Slack with a state that
// is the MAC of a nonce kept in a cookie and an expiry (10 minutes), so it
// costs no store write; GET /slack/oauth/callback checks it, spends it once
// through the Deduper (shared by replicas on Redis), exchanges the code
// (oauth.v2.access, at a bounded rate per replica, since anyone can start
// an install and come back with a made-up code) and keeps the installation sealed (adapters/internal/
// seal, AES-GCM under COACH_SECRET_KEY) in bot.Installations. Each Slack
// call about a user of workspace T uses T's token, refreshed before it
// expires when rotation is on, by one replica (a Deduper key per refresh
// token). POST /slack/events answers url_verification and, on
// app_uninstalled or tokens_revoked (either order, idempotent), deletes the
// installation and forgets every user of the workspace, found by
// bot.Installations.UsersWithPrefix from the store's own keys; an event
// older than the workspace's installation (Slack's retry after a quick
// reinstall), or a copy of a request, is acknowledged and ignored. The single
// workspace of Config.BotToken keeps working beside installs, or alone.
//
// It may import bot, slack-go (github.com/slack-go/slack and its socketmode
// package), golang.org/x/time/rate, adapters/internal/... and the standard
// library; never another
// adapter. What two adapters share belongs in adapters/internal (HTTP) or in
// bot (everything else).
package slack
