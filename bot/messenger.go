package bot

import (
	"context"
	"fmt"
	"time"
)

// Messenger sends a Reply to a user's direct messages on one platform. The
// scheduler picks the Messenger by the recipient's UserID.Platform().
type Messenger interface {
	SendDM(ctx context.Context, to UserID, r Reply) error
}

// ZoneFinder is implemented by a Messenger whose platform keeps a time zone
// in the user's profile (Slack's users.info tz). The bot uses it when a user
// sets a reminder without naming a zone.
type ZoneFinder interface {
	UserZone(ctx context.Context, id UserID) (string, error)
}

// DeliveryError is returned by a Messenger for failures the scheduler must
// treat specially. Any other error is retried with backoff.
type DeliveryError struct {
	// Permanent means the user cannot receive DMs from the bot (Discord
	// 50007, Slack cannot_dm_bot): retrying is pointless, so reminders
	// pause and the user is told Reason on their next command.
	Permanent bool
	// RetryAfter is set when the platform rate-limited the send: try again
	// after this long.
	RetryAfter time.Duration
	// Reason says what happened in words safe to show the user.
	Reason string
	// Err is the platform's error, for the log.
	Err error
}

func (e *DeliveryError) Error() string {
	switch {
	case e.Permanent:
		return fmt.Sprintf("recipient unreachable: %v", e.Err)
	case e.RetryAfter > 0:
		return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("delivery failed: %v", e.Err)
}

// Unwrap returns the platform's error.
func (e *DeliveryError) Unwrap() error { return e.Err }
