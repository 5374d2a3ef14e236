// Command coachload measures a running coachbot under load, against a bare
// net/http baseline measured in the same run (DESIGN §8: timings are ratios
// to a baseline, never absolute numbers in tests).
//
// It sends signed Slack slash commands (POST /slack/commands) or signed
// Discord application-command interactions (POST /discord/interactions),
// in the platforms' real shapes, from many users at a chosen concurrency
// for a chosen time. In the same run it starts a bare handler in a child
// process (for Slack: read the body, answer fixed JSON; for Discord: read
// the body, check one Ed25519 signature, answer fixed JSON) and drives it
// with the very same requests, one phase after the other, so that the
// ratio says what coachbot costs beyond HTTP itself (and, for Discord,
// beyond the signature check every interaction endpoint must make). On
// Linux it also reads both servers' CPU time from /proc, since CPU per
// request says more than req/s on a machine shared with other work.
//
//	coachload keygen                     # a Discord key pair for coachbot and coachload
//	coachload -platform slack -c 50 -d 10s
//	coachload -platform discord -c 50 -d 10s -rounds 3
//
// coachload is a client of coachbot's HTTP endpoints and of nothing else:
// it may import the standard library, and go-redis for the baseline's
// replay check (-baseline-redis), never coachbot's packages (its
// tests may, to prove that what it sends is what coachbot and the platform
// libraries accept). It must only ever be pointed at a coachbot of your
// own: its default URL is loopback, it refuses Slack's and Discord's own
// hosts, and the response_url it puts in Slack commands is a loopback
// address that goes nowhere.
//
// Hidden helpers, run by coachload itself or by an operator setting up a
// measurement: "coachload baseline" is the child-process baseline server;
// "coachload fakeapi" answers every Slack Web API / Discord REST call with
// success, so that a coachbot under test starts without the real platforms.
package main
