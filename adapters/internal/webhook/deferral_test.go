package webhook

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestDeferral: an answer ready in time is not acknowledged; a slow one is
// acknowledged once, when the time is up, and Done says it is late.
func TestDeferral(t *testing.T) {
	tests := []struct {
		name     string
		work     time.Duration
		wantLate bool
	}{
		{"in time", 999 * time.Millisecond, false},
		{"late", 1001 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				acks := 0
				var at time.Duration
				start := time.Now()
				x := DeferAfter(time.Second, func() { acks++; at = time.Since(start) })
				time.Sleep(tt.work)
				late := x.Done()
				time.Sleep(time.Hour) // a stopped timer never fires
				if late != tt.wantLate {
					t.Errorf("Done() = %v, want %v", late, tt.wantLate)
				}
				want := 0
				if tt.wantLate {
					want = 1
				}
				if acks != want {
					t.Fatalf("ack called %d times, want %d", acks, want)
				}
				if tt.wantLate && at != time.Second {
					t.Errorf("ack came after %v, want 1s", at)
				}
			})
		})
	}
}

// TestDeferralDoneWaitsForAck: Done does not return while the
// acknowledgement is being sent, so the late answer follows it. (Real
// time, not synctest: a goroutine waiting on a mutex is not durably
// blocked, so a bubble would never advance. The wait below only bounds
// how fast a broken Done is caught; a correct one cannot return early.)
func TestDeferralDoneWaitsForAck(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var sent atomic.Bool
	x := DeferAfter(time.Millisecond, func() {
		close(started)
		<-release // a slow platform
		sent.Store(true)
	})
	<-started
	done := make(chan bool, 1)
	go func() { done <- x.Done() }()
	select {
	case <-done:
		t.Fatal("Done returned while the ack was being sent")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if !<-done {
		t.Error("Done() = false after the ack was sent")
	}
	if !sent.Load() {
		t.Error("Done returned before the ack was sent")
	}
}
