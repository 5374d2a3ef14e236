package bot

import "context"

// DMChannel returns the platform's DM channel with the user, from the
// user's record when an adapter cached it there, else from open (the
// platform call), caching the answer for every replica. Adapters share it
// so the caching rule lives in one place.
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
	if _, err := store.UpdateUser(ctx, id, func(u *User) error { u.DMChannel = ch; return nil }); err != nil {
		return "", err
	}
	return ch, nil
}

// ForgetDMChannel drops a cached DM channel the platform no longer knows
// (deleted, or the user left), so the next send opens a fresh one.
func ForgetDMChannel(ctx context.Context, store Store, id UserID) error {
	_, err := store.UpdateUser(ctx, id, func(u *User) error { u.DMChannel = ""; return nil })
	return err
}
