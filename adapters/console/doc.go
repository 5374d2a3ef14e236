// Package console lets a person chat with coachbot on a terminal (or any
// reader and writer): the zero-setup way to try it, and the one-shot
// "coachbot ask". It renders Replies as plain text and prints reminders as
// they fire.
//
// It may import bot and the standard library; never another adapter.
package console
