package main

import (
	"net"
	"os"
	"testing"
	"time"
)

// TestServerCPU reads this process's CPU time from /proc, as the report
// reads the servers': it grows as the process works, and agrees with
// getrusage to a tick or two.
func TestServerCPU(t *testing.T) {
	before, ok := serverCPU(os.Getpid())
	if !ok {
		t.Fatal("no CPU time for this process")
	}
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; {
	}
	after, _ := serverCPU(os.Getpid())
	self, _ := processCPU()
	if after <= before {
		t.Errorf("CPU time did not grow while spinning: %v, then %v", before, after)
	}
	if d := (self - after).Abs(); d > 200*time.Millisecond {
		t.Errorf("/proc says %v, getrusage %v", after, self)
	}
	if _, ok := serverCPU(0); ok {
		t.Error("a CPU time for pid 0")
	}
}

// TestListenerPID finds the process listening on a loopback port: this
// one, for a listener it opened; and none for a port nobody listens on or
// a host that is not this machine.
func TestListenerPID(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	tests := []struct {
		name, addr string
		want       int
	}{
		{"our listener", addr, os.Getpid()},
		{"another host", "192.0.2.1:" + addr[len("127.0.0.1:"):], 0},
		{"no port", "127.0.0.1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listenerPID(tt.addr); got != tt.want {
				t.Errorf("listenerPID(%q) = %d, want %d", tt.addr, got, tt.want)
			}
		})
	}
	ln.Close()
	if got := listenerPID(addr); got != 0 {
		t.Errorf("after Close, listenerPID(%q) = %d, want 0", addr, got)
	}
}
