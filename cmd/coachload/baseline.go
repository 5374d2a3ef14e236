package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxBody is the body limit of the baseline, coachbot's (DESIGN §6: 64 KiB).
const maxBody = 64 << 10

// The baseline's fixed answers: small JSON in each platform's answer shape,
// so the load generator checks them as it checks coachbot's.
var (
	slackBaselineAnswer   = []byte(`{"response_type":"ephemeral","text":"ok"}`)
	discordBaselineAnswer = []byte(`{"type":4,"data":{"content":"ok","flags":64}}`)
)

// lineHeader carries, with -baseline-answers, the number of the request's
// command line in the mix, so that the baseline finds coachbot's answer to
// it without parsing the request. coachbot ignores it.
const lineHeader = "X-Coachload-Line"

// cannedAnswer is an answer the baseline sends as it is: with
// -baseline-answers, coachbot's own answer to one command line (from the
// probe), so that the baseline writes the same bytes. A 5 KB answer costs
// both the server and the client a second write and read on loopback;
// without it the ratio charges coachbot for what its content weighs.
type cannedAnswer struct {
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

// baselineHandler is the least an endpoint of the platform must do, on
// bare net/http and its ServeMux (as coachbot uses): for Slack, read the
// body and answer; for Discord, read the body, check the one Ed25519
// signature every interactions endpoint must check (and the timestamp's
// freshness, as coachbot does), and answer. Whatever coachbot costs beyond
// this is coachbot's.
//
// With seen (-baseline-redis), every request that passed those checks is
// also checked for a replay by its signature, as coachbot does (DESIGN
// §6): seen reports whether the key is new, and a repeated request is
// refused. That is the one round trip to shared state every replica of a
// bot must make, whatever else it does.
//
// With answers (-baseline-answers), a request that names a command line
// in lineHeader gets that line's answer; any other, the fixed one.
func baselineHandler(platform string, pub ed25519.PublicKey, seen func(ctx context.Context, key string) (bool, error), answers []cannedAnswer) (http.Handler, error) {
	answer := func(w http.ResponseWriter, r *http.Request, fixed []byte) {
		if v := r.Header.Get(lineHeader); v != "" && answers != nil {
			if i, err := strconv.Atoi(v); err == nil && i >= 0 && i < len(answers) {
				writeAnswer(w, answers[i].ContentType, answers[i].Body)
				return
			}
		}
		writeAnswer(w, "application/json", fixed)
	}
	// replayed answers a replay, or a failed check, and reports whether it did.
	replayed := func(w http.ResponseWriter, r *http.Request, key string) bool {
		if seen == nil {
			return false
		}
		first, err := seen(r.Context(), key)
		switch {
		case err != nil:
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return true
		case !first:
			http.Error(w, "repeated request", http.StatusUnauthorized)
			return true
		}
		return false
	}
	mux := http.NewServeMux()
	switch platform {
	case "slack":
		mux.HandleFunc("POST "+slackPath, func(w http.ResponseWriter, r *http.Request) {
			if _, ok := readBody(w, r); !ok {
				return
			}
			if replayed(w, r, "slack:"+r.Header.Get("X-Slack-Signature")) {
				return
			}
			answer(w, r, slackBaselineAnswer)
		})
	case "discord":
		if len(pub) != ed25519.PublicKeySize {
			return nil, errors.New("the Discord baseline needs the public key")
		}
		var pool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}
		mux.HandleFunc("POST "+discordPath, func(w http.ResponseWriter, r *http.Request) {
			body, ok := readBody(w, r)
			if !ok {
				return
			}
			sig, err := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
			ts := r.Header.Get("X-Signature-Timestamp")
			sec, terr := strconv.ParseInt(ts, 10, 64)
			if err != nil || len(sig) != ed25519.SignatureSize || terr != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
				http.Error(w, "invalid request signature", http.StatusUnauthorized)
				return
			}
			buf := pool.Get().(*[]byte)
			msg := append(append((*buf)[:0], ts...), body...)
			ok = ed25519.Verify(pub, msg, sig)
			*buf = msg
			pool.Put(buf)
			if !ok {
				http.Error(w, "invalid request signature", http.StatusUnauthorized)
				return
			}
			if replayed(w, r, "discord:"+r.Header.Get("X-Signature-Ed25519")) {
				return
			}
			answer(w, r, discordBaselineAnswer)
		})
	default:
		return nil, fmt.Errorf("unknown platform %q", platform)
	}
	return mux, nil
}

// readBody reads the whole body, at most maxBody, as coachbot's
// adapters/internal/webhook.ReadBody does; on failure it has answered.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	n := r.ContentLength
	if n > maxBody {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	var buf bytes.Buffer
	if n > 0 {
		buf.Grow(int(n))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		http.Error(w, "bad body", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return buf.Bytes(), true
}

func writeAnswer(w http.ResponseWriter, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// serveBaseline is the hidden "coachload baseline" subcommand: it listens
// on addr, prints the address it got as one line on stdout, and serves
// until ctx ends or stdin reaches its end (the parent closed it, or died:
// no baseline outlives its load generator).
func serveBaseline(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("baseline", io.Discard)
	platform := fs.String("platform", "slack", "slack or discord")
	addr := fs.String("addr", "127.0.0.1:0", "where to listen")
	pubHex := fs.String("public-key", "", "hex Ed25519 public key (discord)")
	redisURL := fs.String("redis", "", "Redis URL for a replay check per request")
	answersFile := fs.String("answers", "", "JSON file of the answers to send per command line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var answers []cannedAnswer
	if *answersFile != "" {
		b, err := os.ReadFile(*answersFile)
		if err == nil {
			err = json.Unmarshal(b, &answers)
		}
		if err != nil {
			return fmt.Errorf("baseline: -answers: %w", err)
		}
	}
	var seen func(context.Context, string) (bool, error)
	if *redisURL != "" {
		opt, err := redis.ParseURL(*redisURL)
		if err != nil {
			return fmt.Errorf("baseline: -redis: %w", err)
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		seen = replayCheck(rdb)
	}
	var pub ed25519.PublicKey
	if *pubHex != "" {
		b, err := hex.DecodeString(*pubHex)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return errors.New("baseline: -public-key is not a hex Ed25519 public key")
		}
		pub = b
	}
	h, err := baselineHandler(*platform, pub, seen, answers)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if _, err := fmt.Fprintln(stdout, ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	return serveUntil(ctx, srv, ln, stdin)
}

// replayCheck is the baseline's replay check on rdb: SET NX PX of 16 bytes
// of the key's SHA-256 for ten minutes, as coachbot keeps a request's key
// (bot.ReplayWindow), in one round trip.
func replayCheck(rdb *redis.Client) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, key string) (bool, error) {
		sum := sha256.Sum256([]byte(key))
		return rdb.SetNX(ctx, "coachload:seen:"+base64.RawURLEncoding.EncodeToString(sum[:16]), "1", 10*time.Minute).Result()
	}
}

// serveUntil serves srv on ln until ctx ends or, when stdin is not nil,
// until stdin does: a child process must not outlive the coachload that
// started it, and its stdin closes when that one exits.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, stdin io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if stdin != nil {
		go func() {
			io.Copy(io.Discard, stdin)
			cancel()
		}()
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// child is a baseline server running in a child process, so that it has
// its own runtime (scheduler, GC, heap) as coachbot has, and the load
// generator measures both from outside in the same way.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	addr   string
	stderr *bytes.Buffer
	done   chan struct{}
}

// startBaseline re-executes self as "coachload baseline" with o and
// returns when it is listening.
func startBaseline(self string, o baselineOptions) (*child, error) {
	args := []string{"baseline", "-platform", o.platform, "-addr", "127.0.0.1:0"}
	if o.pub != nil {
		args = append(args, "-public-key", hex.EncodeToString(o.pub))
	}
	if o.redisURL != "" {
		args = append(args, "-redis", o.redisURL)
	}
	if o.answersFile != "" {
		args = append(args, "-answers", o.answersFile)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = os.Environ()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the baseline (%s baseline): %w", self, err)
	}
	go func() {
		cmd.Wait()
		close(c.done)
	}()
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- strings.TrimSpace(sc.Text())
		}
		close(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case addr, ok := <-line:
		if ok && addr != "" {
			c.addr = addr
			return c, nil
		}
	case <-time.After(10 * time.Second):
	}
	c.stop()
	return nil, fmt.Errorf("the baseline server did not start: %s", strings.TrimSpace(c.stderr.String()))
}

// baselineOptions are the baseline child's: its platform, the Discord
// public key, and what -baseline-redis and -baseline-answers add.
type baselineOptions struct {
	platform    string
	pub         ed25519.PublicKey
	redisURL    string
	answersFile string // JSON of []cannedAnswer
}

// URL is the baseline's base URL.
func (c *child) URL() string { return "http://" + c.addr }

// stop ends the child: closing its stdin asks it to stop; it is killed if
// it has not within a few seconds (a loaded machine can be that slow).
func (c *child) stop() {
	c.stdin.Close()
	select {
	case <-c.done:
		return
	case <-time.After(5 * time.Second):
	}
	c.cmd.Process.Kill()
	<-c.done
}
