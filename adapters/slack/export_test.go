package slack

import "time"

// Hooks for the tests in package slack_test.

// SetInlineBudget changes how long a command may take before its answer
// goes through response_url.
func SetInlineBudget(a *Adapter, d time.Duration) { a.budget = d }

// SetRestartBackoff changes the waits before Socket Mode restarts.
func SetRestartBackoff(a *Adapter, first, most time.Duration) {
	a.minRestart, a.maxRestart = first, most
}
