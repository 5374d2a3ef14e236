package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/coachbot/coachbot/bot"
)

// MaxBodyBytes caps a platform request's body (DESIGN §6). Real command and
// interaction payloads are a few KiB.
const MaxBodyBytes = 64 << 10

// firstBuffer is the most ReadBody reserves before any byte has arrived.
// Real payloads are a few KiB and fit; a bigger body grows the buffer as
// it comes. Sizing it from Content-Length let a sender who declares 64 KiB
// and sends nothing hold 64 KiB per connection (DESIGN §6: what an
// unverified request holds is bounded by what it sent).
const firstBuffer = 4 << 10

// ReadBody reads a platform request's raw body, which must be verified
// before anything is parsed. A body over MaxBodyBytes is answered 413 here
// and ok is false; so is one that cannot be read (400). Callers return at
// once when ok is false.
func ReadBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	if r.ContentLength > MaxBodyBytes {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	// A declared length that fits is read in one allocation (the extra
	// byte sees EOF without growing); anything more grows as io.ReadAll
	// does, with the bytes that arrive.
	size := int64(512)
	if r.ContentLength >= 0 {
		size = min(r.ContentLength+1, firstBuffer)
	}
	buf := make([]byte, 0, size)
	in := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	var err error
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		var n int
		n, err = in.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			break
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == io.EOF:
		return buf, true
	case errors.As(err, &tooBig):
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
	default:
		http.Error(w, "cannot read request body", http.StatusBadRequest)
	}
	return nil, false
}

// WriteJSON answers a platform request with v as JSON, complete and with
// its Content-Length: a reply of a few KiB written straight to the
// ResponseWriter would go out chunked in several writes. It returns the
// encoding or write error.
func WriteJSON(w http.ResponseWriter, v any) error {
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // keep the pool's buffers reply-sized
			buf.Reset()
			jsonBufs.Put(buf)
		}
	}()
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return fmt.Errorf("webhook: encoding the answer: %w", err)
	}
	return WriteRawJSON(w, buf.Bytes())
}

// WriteCachedJSON answers with v as WriteJSON does, except that a reply
// with a CacheKey (key not empty) is encoded once and kept in cache: every
// later answer under key is the same bytes.
func WriteCachedJSON(w http.ResponseWriter, cache *bot.Cache[[]byte], key string, v any) error {
	if key == "" {
		return WriteJSON(w, v)
	}
	body, err := cache.Get(key, func() ([]byte, error) { return json.Marshal(v) })
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return fmt.Errorf("webhook: encoding the answer: %w", err)
	}
	return WriteRawJSON(w, body)
}

// WriteRawJSON answers with body, JSON encoded already (a cached answer),
// as WriteJSON does. It does not flush: net/http sends a final answer when
// the handler returns, and an explicit flush made a second write to the
// socket (7% of coachbot's CPU in a profile under Slack load; the load
// runs after it were too noisy to show the gain). A handler that writes
// and then keeps working, as a deferral does, calls Flush.
func WriteRawJSON(w http.ResponseWriter, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/json") // UTF-8 by definition (RFC 8259)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err := w.Write(body)
	return err
}

// AckEmpty answers an empty 200 now, complete (its length is 0) and
// flushed, while the handler goes on with the work (CloseWhenDone): Slack's
// acknowledgement of a command or a button press that is answered later,
// through response_url.
func AckEmpty(w http.ResponseWriter) error {
	CloseWhenDone(w)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return Flush(w)
}

// CloseWhenDone marks the answer, before it is written, so that its
// connection closes when the handler returns. Call it for an answer sent
// before the work is done (a deferral, Slack's empty 200): the platform
// has a complete answer and may send its next request on the same
// keep-alive connection, where it would wait, unread, behind the work
// still running on this handler's goroutine, and miss its 3 seconds.
func CloseWhenDone(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
}

// Flush sends what was written to w now, for an answer the handler writes
// before it has finished its work (a deferral).
func Flush(w http.ResponseWriter) error {
	return http.NewResponseController(w).Flush()
}

// jsonBufs recycles WriteJSON's buffers: most answers are a few KiB, and
// every command has one.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}
