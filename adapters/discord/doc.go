// Package discord connects coachbot to Discord with discordgo: it registers
// the command spec as application commands (slash commands with
// subcommands, typed options, choices and autocomplete), receives
// interactions over the gateway or as signed HTTP requests, answers them by
// rendering the core's Reply as an embed with buttons, and delivers
// reminders as direct messages (the core's Messenger for "discord" users).
//
// Every interaction becomes one command line of the text grammar, built with
// bot.Parsed.Line from the typed options or taken from a button's custom_id,
// and is answered by bot.Bot.Handle: Discord has no second handler path.
//
// The app can be installed to a server or to a person's own account (user
// install, install.go): every global command is registered for both and
// for every context, and where the bot is a guest (someone else's DM, a
// server that did not add it) its answers are private.
//
// What it needs from Discord is little, on purpose: no gateway intents at
// all (interactions and outgoing DMs need none), and the REST calls listed
// in the tests' fake (command overwrite, DM channel, message, interaction
// callback and webhook edit). The token is never logged, nor is anything a
// user typed; users appear in logs as bot.HashUser pseudonyms. discordgo's
// own debug logging would print the token, so the session's log level is
// left at its default (errors only).
//
// It may import bot, discordgo, adapters/internal/... and the standard
// library; never another adapter. What two adapters share belongs in
// adapters/internal (HTTP) or in bot (everything else).
package discord
