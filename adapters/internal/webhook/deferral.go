package webhook

import (
	"sync"
	"time"
)

// A Deferral acknowledges a command that its bot takes too long to answer.
// Slack and Discord both want an answer within 3 s, and both take an
// acknowledgement instead (an empty 200, a deferred response), after which
// the answer is posted or edited in. The bot runs on the caller's
// goroutine; only a timer waits beside it, so a command costs no goroutine
// of its own.
type Deferral struct {
	t        *time.Timer
	mu       sync.Mutex // held while ack runs, so Done waits for it
	finished bool
	deferred bool
}

// DeferAfter calls ack, once, from a timer's goroutine, when d passes
// before Done is called.
func DeferAfter(d time.Duration, ack func()) *Deferral {
	x := &Deferral{}
	x.t = time.AfterFunc(d, func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.finished {
			return
		}
		x.deferred = true
		ack()
	})
	return x
}

// Done stops the timer and reports whether ack was called: then the
// answer is late and goes by the platform's follow-up, not as the
// response. It waits for an ack that is running, so what the caller sends
// next never races the acknowledgement.
func (x *Deferral) Done() (late bool) {
	x.t.Stop()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.finished = true
	return x.deferred
}
