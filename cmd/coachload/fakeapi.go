package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// fakeAPI stands in for Slack's Web API and Discord's REST API while
// coachbot is measured, so that it starts (Discord's command sync at
// start-up) and can post (a Slack DM channel lookup, a deferred Discord
// edit) without reaching the real platforms. Every call succeeds: the
// Discord command sync (PUT …/commands) gets the empty list, everything
// else {"ok":true}, which satisfies slack-go and discordgo alike.
type fakeAPI struct {
	calls atomic.Int64
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/commands") {
		io.WriteString(w, "[]")
		return
	}
	io.WriteString(w, `{"ok":true}`)
}

// serveFakeAPI is the hidden "coachload fakeapi" subcommand: it listens on
// addr, prints the base URLs to give coachbot, and serves until ctx ends
// (SIGINT/SIGTERM) or, with -stdin, until stdin ends.
func serveFakeAPI(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("fakeapi", io.Discard)
	addr := fs.String("addr", "127.0.0.1:0", "where to listen (loopback)")
	watchStdin := fs.Bool("stdin", false, "stop when standard input ends")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "COACH_SLACK_API_URL=%s/api/\nCOACH_DISCORD_API_URL=%s/api/v10\n", base, base)
	f := &fakeAPI{}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	if !*watchStdin {
		stdin = nil
	}
	return serveUntil(ctx, srv, ln, stdin)
}
