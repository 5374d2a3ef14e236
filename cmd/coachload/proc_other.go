//go:build !linux

package main

import "time"

// serverCPU is not measured here: there is no /proc.
func serverCPU(pid int) (time.Duration, bool) { return 0, false }

// listenerPID is not known here.
func listenerPID(addr string) int { return 0 }

// loadAverage is not known here.
func loadAverage() string { return "" }
