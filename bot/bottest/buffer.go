package bottest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// WaitLimit bounds every wait of a test on output. It is no timing
// assertion: it only turns a hang into a failure, and is generous enough for
// the slowest machine under -race.
const WaitLimit = 30 * time.Second

// Buffer is an io.Writer that a program under test (a console, a reminder
// loop) may write while the test reads it. Tests wait for output with
// WaitFor instead of sleeping.
type Buffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

// NewBuffer returns an empty Buffer.
func NewBuffer() *Buffer { return &Buffer{wrote: make(chan struct{}, 1)} }

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor waits until the output contains want, failing the test after
// WaitLimit.
func (b *Buffer) WaitFor(t testing.TB, want string) {
	t.Helper()
	timeout := time.After(WaitLimit)
	for !strings.Contains(b.String(), want) {
		select {
		case <-b.wrote:
		case <-timeout:
			t.Fatalf("output never showed %q; it is:\n%s", want, b.String())
		}
	}
}
