// Package webhook is what the platform adapters share for webhooks: reading
// a bounded raw body before verification, logging refusals without letting
// a forger write the log, writing complete JSON answers, and acknowledging
// a command the bot is slow to answer (Deferral) while the bot runs on the
// request's own goroutine.
//
// It exists so that bot holds no HTTP (DESIGN §1): the core knows commands
// and replies, not requests. Slack and Discord both sign the raw bytes of a
// request, so the body is read whole, within a cap, and verified before
// anything parses it; both time out an answer that trickles in, so answers
// go out in one write with their length.
//
// It may import bot, the standard library and golang.org/x/time/rate (the
// rate of refusal lines) only. Go's internal rule keeps
// it for the packages under adapters/.
package webhook
