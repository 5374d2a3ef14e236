package bot

import (
	"errors"
	"fmt"
)

// Code classifies an error so that each layer can decide what to do with it
// without parsing messages: the router turns it into a reply, adapters into
// an HTTP status, the scheduler into retry or give-up.
type Code string

// The error codes. Their zero value is not a code: an error without one is
// treated as Internal.
const (
	Invalid     Code = "invalid"     // the user's input is wrong; the message says how to fix it
	NotFound    Code = "not_found"   // the thing asked for does not exist
	Conflict    Code = "conflict"    // the state changed underneath (a stale claim)
	Unavailable Code = "unavailable" // a dependency (the store) does not answer; try again later
	Internal    Code = "internal"    // a bug or an unexpected failure
	Limited     Code = "limited"     // the user sent too many commands; the message says when to try again
)

// Error is an error with a code and a message that is safe to show a user.
// The cause, which may hold details that are not safe to show, is kept for
// the log only.
type Error struct {
	Code    Code
	Message string // safe to show the user
	Err     error  // the cause, for the log; may be nil
}

// Errorf returns an *Error with a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error that carries cause for the log and message for
// the user.
func WrapError(code Code, cause error, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first *Error in err's chain, Internal
// for any other non-nil error and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the user-safe message of err. Errors without one get
// a generic message for their code, so a cause never leaks to a user.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	switch ErrorCode(err) {
	case Invalid:
		return "I didn't understand that."
	case NotFound:
		return "I couldn't find that."
	case Conflict:
		return "That changed while I was working on it. Please try again."
	case Unavailable:
		return msgUnavailable
	case Limited:
		return "You're going a little fast for me. Please try again in a moment."
	default:
		return "Something went wrong on my side. It has been logged; please try again."
	}
}

// msgUnavailable is what a user reads when the store does not answer.
const msgUnavailable = "I can't reach my memory right now, try again in a minute."

// ErrStaleClaim is returned by Store.Ack and Store.Retry when the claim's
// lease has expired and another claimer (or a change by the user) has taken
// the reminder over. The caller must drop the claim.
var ErrStaleClaim = &Error{Code: Conflict, Message: "the reminder claim is no longer held"}
