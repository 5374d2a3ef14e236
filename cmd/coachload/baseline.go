package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
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
)

// maxBody is the body limit of the baseline, coachbot's (DESIGN §6: 64 KiB).
const maxBody = 64 << 10

// The baseline's fixed answers: small JSON in each platform's answer shape,
// so the load generator checks them as it checks coachbot's.
var (
	slackBaselineAnswer   = []byte(`{"response_type":"ephemeral","text":"ok"}`)
	discordBaselineAnswer = []byte(`{"type":4,"data":{"content":"ok","flags":64}}`)
)

// baselineHandler is the least an endpoint of the platform must do, on
// bare net/http and its ServeMux (as coachbot uses): for Slack, read the
// body and answer; for Discord, read the body, check the one Ed25519
// signature every interactions endpoint must check (and the timestamp's
// freshness, as coachbot does), and answer. Whatever coachbot costs beyond
// this is coachbot's.
func baselineHandler(platform string, pub ed25519.PublicKey) (http.Handler, error) {
	mux := http.NewServeMux()
	switch platform {
	case "slack":
		mux.HandleFunc("POST "+slackPath, func(w http.ResponseWriter, r *http.Request) {
			if _, ok := readBody(w, r); !ok {
				return
			}
			writeAnswer(w, slackBaselineAnswer)
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
			writeAnswer(w, discordBaselineAnswer)
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

func writeAnswer(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	var pub ed25519.PublicKey
	if *pubHex != "" {
		b, err := hex.DecodeString(*pubHex)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return errors.New("baseline: -public-key is not a hex Ed25519 public key")
		}
		pub = b
	}
	h, err := baselineHandler(*platform, pub)
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

// startBaseline re-executes self as "coachload baseline" for platform and
// returns when it is listening.
func startBaseline(self, platform string, pub ed25519.PublicKey) (*child, error) {
	args := []string{"baseline", "-platform", platform, "-addr", "127.0.0.1:0"}
	if pub != nil {
		args = append(args, "-public-key", hex.EncodeToString(pub))
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
