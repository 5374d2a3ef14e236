package redisstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

// This file keeps the user records: User, UpdateUser, Settle, Forget and
// Admit. A record is one string, "<revision>:<bot.EncodeUser bytes>";
// every write is a compare-and-set on the revision in one script that
// changes the reminder index in the same step (scripts.go).

// digits62 are the digits of base 62: a revision's tag is 4 of them.
const digits62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// nextRevision returns a new revision to follow rev. A revision is
// "<count>.<tag>": the count of writes, which makes a revision never come
// back, and a random tag of the write, by which a script that go-redis
// sends again after a lost reply recognises the value it wrote itself. A
// count alone could not tell that value from another writer's equal one
// (two increments read from the same record in the same millisecond), and
// taking the other's for ours would lose an update. "" is the revision of
// a record that does not exist.
func nextRevision(rev string) string {
	count, _, _ := strings.Cut(rev, ".")
	n, _ := strconv.ParseUint(count, 10, 64)
	tag := make([]byte, 4) // 62^4: 15 million tags
	for i := range tag {
		tag[i] = digits62[mrand.IntN(len(digits62))]
	}
	return strconv.FormatUint(n+1, 10) + "." + string(tag)
}

// recordValue is what a record is stored as.
func recordValue(rev string, u bot.User) string {
	return rev + ":" + string(bot.EncodeUser(u))
}

// parseRecord splits a stored value into its revision and record bytes;
// "" (no key) is revision "" and no bytes.
func parseRecord(v string) (rev string, data []byte, err error) {
	if v == "" {
		return "", nil, nil
	}
	rev, rec, ok := strings.Cut(v, ":")
	if !ok {
		return "", nil, errors.New("record without a revision")
	}
	return rev, []byte(rec), nil
}

// decodeRecord reads a stored value as the user's record.
func decodeRecord(id bot.UserID, v string) (rev string, u bot.User, err error) {
	rev, data, err := parseRecord(v)
	if err == nil {
		u, err = bot.DecodeUser(id, data)
	}
	if err != nil {
		return "", bot.User{}, fmt.Errorf("user %s: %w", bot.HashUser(id), err)
	}
	return rev, u, nil
}

// readRecord returns the stored value of a record ("" when there is none).
func (s *Store) readRecord(ctx context.Context, key string) (string, error) {
	v, err := s.get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// User returns the user's record, or User{ID: id} when there is none.
func (s *Store) User(ctx context.Context, id bot.UserID) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	ctx, cancel, err := s.begin(ctx, "read user")
	if err != nil {
		return bot.User{}, err
	}
	defer cancel()
	_, _, key := s.userKeys(id)
	v, err := s.readRecord(ctx, key)
	if err != nil {
		return bot.User{}, s.fail("read user", err)
	}
	_, u, err := decodeRecord(id, v)
	if err != nil {
		return bot.User{}, s.fail("read user", err)
	}
	return u, nil
}

// UpdateUser reads the record, applies fn in this process and writes the
// result if the revision is still the one read (casScript); otherwise it
// reads again and calls fn again.
func (s *Store) UpdateUser(ctx context.Context, id bot.UserID, fn func(*bot.User) error) (bot.User, error) {
	if err := id.Validate(); err != nil {
		return bot.User{}, err
	}
	ctx, cancel, err := s.begin(ctx, "update user")
	if err != nil {
		return bot.User{}, err
	}
	defer cancel()
	prefix, short, key := s.userKeys(id)
	keys := []string{key, prefix + "due", prefix + "lease"}
	for attempt := 0; ; attempt++ {
		v, err := s.readRecord(ctx, key)
		if err != nil {
			return bot.User{}, s.fail("update user", err)
		}
		rev, old, err := decodeRecord(id, v)
		if err != nil {
			return bot.User{}, s.fail("update user", err)
		}
		_, u, _ := decodeRecord(id, v) // fn's own copy: it may change slices in place
		if err := fn(&u); err != nil {
			return bot.User{}, err
		}
		// The store owns these: fn cannot move a record to another id or
		// rewrite its history. They are bookkeeping shown to the user, not
		// scheduling, so this process's clock is good enough.
		now := time.Now().UTC().Truncate(time.Millisecond)
		u.ID, u.Created, u.Updated = id, old.Created, now
		if u.Created.IsZero() {
			u.Created = now
		}
		if err := u.Validate(); err != nil {
			return bot.User{}, err
		}
		value := recordValue(nextRevision(rev), u)
		args := append([]any{rev, value}, reindexArgs(short, old, u, "")...)
		wrote, err := s.runScript(ctx, casScript, keys, args...).Int()
		if err != nil {
			return bot.User{}, s.fail("update user", err)
		}
		if wrote == 1 {
			// What is stored, as the next read returns it (empty slices
			// nil, times in UTC).
			_, u, err := decodeRecord(id, value)
			if err != nil {
				return bot.User{}, s.fail("update user", err)
			}
			return u, nil
		}
		if err := backOff(ctx, attempt); err != nil {
			return bot.User{}, s.fail("update user", err)
		}
	}
}

// backOff waits a little, more after every attempt, before a write that
// lost a race tries again, so that many writers of one record (a retried
// button press on several replicas) do not keep colliding.
func backOff(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	pause := time.Duration(mrand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(pause):
		return nil
	}
}

// reindexArgs encodes bot.Reindex(old, new, released) for the scripts'
// reindex: the members that leave the index, then the (score, member)
// pairs that enter it.
func reindexArgs(short string, old, new bot.User, released bot.ReminderKind) []any {
	leave, enter := bot.Reindex(old, new, released)
	args := make([]any, 0, 2+len(leave)+2*len(enter))
	args = append(args, len(leave))
	for _, k := range leave {
		args = append(args, member(short, kindCode(k)))
	}
	args = append(args, len(enter))
	for _, sl := range enter {
		args = append(args, millis(sl.At), member(short, kindCode(sl.Kind)))
	}
	return args
}

// Settle implements bot.Store. Whether c still holds its lease is only
// known inside the script, so fn runs here for both answers, each on its
// own copy of the record, and the script writes the one that applies.
func (s *Store) Settle(ctx context.Context, c bot.Claim, fn func(u *bot.User, held bool) error) error {
	if err := c.Validate(); err != nil {
		return err
	}
	id, kind := c.Reminder.User, c.Reminder.Kind
	ctx, cancel, err := s.begin(ctx, "settle claim")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, short, key := s.userKeys(id)
	keys := []string{key, prefix + "due", prefix + "lease"}
	stale := fmt.Errorf("redisstore: settle %s %s due %s: %w", bot.HashUser(id), kind, c.Due.Format(time.RFC3339), bot.ErrStaleClaim)
	for attempt := 0; ; attempt++ {
		v, err := s.readRecord(ctx, key)
		if err != nil {
			return s.fail("settle claim", err)
		}
		if v == "" {
			return stale // forgotten: nothing is written
		}
		rev, old, err := decodeRecord(id, v)
		if err != nil {
			return s.fail("settle claim", err)
		}
		// Not held first: a caller that keeps what fn was last told (as
		// storetest's HeldWritesAndReleases does) then sees the common
		// case, a live claim.
		lost := settleBranch(id, short, kind, rev, v, old, fn, false)
		held := settleBranch(id, short, kind, rev, v, old, fn, true)
		args := []any{rev, member(short, kindCode(kind)), leaseScore(c.Token)}
		args = append(append(args, held.args...), lost.args...)
		res, err := s.runScript(ctx, settleScript, keys, args...).Text()
		if err != nil {
			return s.fail("settle claim", err)
		}
		switch res {
		case "held":
			return held.err
		case "stale":
			if lost.err != nil {
				return lost.err
			}
			return stale
		case "gone":
			return stale
		case "retry":
			if err := backOff(ctx, attempt); err != nil {
				return s.fail("settle claim", err)
			}
			continue
		}
		return s.fail("settle claim", fmt.Errorf("settle script answered %q", res))
	}
}

// branch is what Settle sends for one value of held: the mode ("w" write,
// "n" nothing to write, "e" fn failed: write nothing and return err), the
// value to write, and the index changes.
type branch struct {
	args []any
	err  error
}

func settleBranch(id bot.UserID, short string, kind bot.ReminderKind, rev, v string, old bot.User, fn func(*bot.User, bool) error, held bool) branch {
	fail := func(err error) branch { return branch{args: []any{"e", "", 0, 0}, err: err} }
	_, u, _ := decodeRecord(id, v)
	if err := fn(&u, held); err != nil {
		return fail(err)
	}
	u.ID, u.Created = id, old.Created
	if err := u.Validate(); err != nil {
		return fail(err)
	}
	var released bot.ReminderKind
	if held {
		released = kind
	} else if bytes.Equal(bot.EncodeUser(u), bot.EncodeUser(old)) {
		return branch{args: []any{"n", "", 0, 0}}
	}
	return branch{args: append([]any{"w", recordValue(nextRevision(rev), u)}, reindexArgs(short, old, u, released)...)}
}

// Forget deletes the user's record, their index entries, their command
// bucket and their dead letters, in one script. The script checks the
// revision read, so that a reminder added meanwhile cannot leave an index
// entry behind.
func (s *Store) Forget(ctx context.Context, id bot.UserID) error {
	if err := id.Validate(); err != nil {
		return err
	}
	ctx, cancel, err := s.begin(ctx, "forget user")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, short, key := s.userKeys(id)
	keys := []string{key, prefix + "due", prefix + "lease", prefix + "dead", prefix + "rate:" + short}
	for attempt := 0; ; attempt++ {
		v, err := s.readRecord(ctx, key)
		if err != nil {
			return s.fail("forget user", err)
		}
		rev, _, _ := parseRecord(v)
		// The kinds the bot has, and any other the record names: a record
		// that does not decode is forgotten all the same.
		codes := map[string]bool{kindCode(bot.Daily): true, kindCode(bot.Once): true, kindCode(bot.Weekly): true}
		if _, u, err := decodeRecord(id, v); err == nil {
			for _, r := range u.Reminders {
				codes[kindCode(r.Kind)] = true
			}
		}
		args := []any{rev, short}
		for _, code := range sortedKeys(codes) {
			args = append(args, member(short, code))
		}
		done, err := s.runScript(ctx, forgetScript, keys, args...).Int()
		if err != nil {
			return s.fail("forget user", err)
		}
		if done == 1 {
			return nil
		}
		if err := backOff(ctx, attempt); err != nil {
			return s.fail("forget user", err)
		}
	}
}

var _ bot.UserGate = (*Store)(nil)

// Admit implements bot.UserGate: the replay check, the user's command
// bucket (GCRA, as Allow, on Redis TIME) and their record, in one script
// on the user's shard, so that a chat command costs one round trip. The
// bucket is "{c<s>}:rate:<short id>" and the replay key
// "{c<s>}:seen:<hash of once>", beside the record in the same Cluster
// slot: a replay names the same user, so it finds the key there.
func (s *Store) Admit(ctx context.Context, id bot.UserID, once string, r bot.Rate) (bot.Admission, error) {
	if err := id.Validate(); err != nil {
		return bot.Admission{}, err
	}
	if r.PerMinute <= 0 || r.Burst < 1 {
		return bot.Admission{}, bot.Errorf(bot.Internal, "limiter: rate must be > 0 and burst >= 1")
	}
	ctx, cancel, err := s.begin(ctx, "admit")
	if err != nil {
		return bot.Admission{}, err
	}
	defer cancel()
	prefix, short, key := s.userKeys(id)
	interval, tolerance := gcraArgs(r.PerMinute/60, r.Burst)
	keys := []string{prefix + "rate:" + short, key}
	args := []any{interval, tolerance}
	if once != "" {
		keys = append(keys, prefix+"seen:"+onceKey(once))
		args = append(args, randomHex(8), bot.ReplayWindow.Milliseconds())
	}
	res, err := s.runScript(ctx, gateScript, keys, args...).Slice()
	if err != nil {
		return bot.Admission{}, s.fail("admit", err)
	}
	if len(res) == 1 {
		if n, _ := res[0].(int64); n == -1 {
			return bot.Admission{Replayed: true}, nil
		}
	}
	if len(res) != 3 {
		return bot.Admission{}, s.fail("admit", fmt.Errorf("gate script returned %d values", len(res)))
	}
	ok, _ := res[0].(int64)
	wait, _ := res[1].(int64)
	v, _ := res[2].(string)
	_, u, err := decodeRecord(id, v)
	if err != nil {
		return bot.Admission{}, s.fail("admit", err)
	}
	return bot.Admission{Allowed: ok == 1, Wait: time.Duration(wait) * time.Microsecond, User: u}, nil
}

// onceKey shortens a request's replay key (a Slack signature is 67
// bytes) to 16 bytes of its SHA-256 in base64: kept for ten minutes per
// request, its length is most of the key's memory.
func onceKey(once string) string {
	sum := sha256.Sum256([]byte(once))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
