package bot

import (
	"context"
	"errors"
)

// DMChannel returns the platform's DM channel with the user, from the
// user's record when an adapter cached it there, else from open (the
// platform call), caching the answer for every replica. Adapters share it
// so the caching rule lives in one place.
//
// It is called while a reminder is delivered, so it must not bring back a
// user forgotten meanwhile (see Store): the channel is cached only in a
// record the store keeps, and only in the one it read (same Created), so
// neither a forgotten user nor one who was forgotten and came back is
// written by a delivery that started before. The channel is returned
// either way; caching it is only a saving.
func DMChannel(ctx context.Context, store Store, id UserID, open func(context.Context) (string, error)) (string, error) {
	u, err := store.User(ctx, id)
	if err != nil {
		return "", err
	}
	if u.DMChannel != "" {
		return u.DMChannel, nil
	}
	ch, err := open(ctx)
	if err != nil {
		return "", err
	}
	if !u.Kept() {
		return ch, nil
	}
	_, err = UpdateKept(ctx, store, id, func(now *User) error {
		if !now.Created.Equal(u.Created) {
			return ErrNotKept // forgotten and written again since the read
		}
		now.DMChannel = ch
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotKept) {
		return "", err
	}
	return ch, nil
}

// ForgetDMChannel drops a cached DM channel the platform no longer knows
// (deleted, or the user left), so the next send opens a fresh one. A user
// the store keeps nothing about has nothing to drop.
func ForgetDMChannel(ctx context.Context, store Store, id UserID) error {
	_, err := UpdateKept(ctx, store, id, func(u *User) error { u.DMChannel = ""; return nil })
	if errors.Is(err, ErrNotKept) {
		return nil
	}
	return err
}
