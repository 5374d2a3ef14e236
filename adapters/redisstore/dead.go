package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

const (
	// deadKept is how many dead letters a shard keeps, the newest.
	deadKept = 1000
	// maxDeadReason bounds the reason a dead letter keeps, in bytes.
	maxDeadReason = 200
)

var _ bot.DeadLetters = (*Store)(nil)

// DeadEntry is an occurrence the scheduler gave up on, as DeadLettered
// reads it back: the same for every store.
type DeadEntry = bot.DeadEntry

// DeadLetter implements bot.DeadLetters: it pushes one compact entry on the
// dead list of the user's shard and trims the list to the newest 1000, in
// one script that first checks the user's record is there: a user
// forgotten while the claim was out gets no entry (deadScript).
func (s *Store) DeadLetter(ctx context.Context, c bot.Claim, reason string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	r := c.Reminder
	ctx, cancel, err := s.begin(ctx, "dead letter")
	if err != nil {
		return err
	}
	defer cancel()
	prefix, _, key := s.userKeys(r.User)
	err = s.runScript(ctx, deadScript, []string{key, prefix + "dead"}, deadEntry(r.User, r.Kind, c.Due, r.Attempts, reason), deadKept).Err()
	if err != nil {
		return s.fail("dead letter", err)
	}
	return nil
}

// deadScript is DeadLetter. KEYS: the user's record, the shard's dead
// list (one hash tag, so one Cluster slot). ARGV: the entry, how many
// entries to keep. It returns 1 when it pushed, 0 when the user has no
// record.
var deadScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
return 1
`)

// DeadLettersOf implements bot.DeadLetters: the user's entries on the dead
// list of their shard, newest first. A list holds at most deadKept
// entries, so reading it whole is bounded, and export is rare.
func (s *Store) DeadLettersOf(ctx context.Context, id bot.UserID) ([]DeadEntry, error) {
	if err := id.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel, err := s.begin(ctx, "read dead letters")
	if err != nil {
		return nil, err
	}
	defer cancel()
	prefix, short, _ := s.userKeys(id)
	all, err := s.rdb.LRange(ctx, prefix+"dead", 0, -1).Result()
	if err != nil {
		return nil, s.fail("read dead letters", err)
	}
	return s.decodeDead(nil, all, short+"\x00")
}

// decodeDead appends to out the entries of a dead list that start with
// mine ("" for all of them).
func (s *Store) decodeDead(out []DeadEntry, entries []string, mine string) ([]DeadEntry, error) {
	for _, e := range entries {
		if !strings.HasPrefix(e, mine) {
			continue
		}
		d, err := decodeDeadEntry(e)
		if err != nil {
			return nil, s.fail("read dead letters", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// deadEntry encodes a dead letter as
// "<short id>\x00<kind code>\x00<due ms base 10>\x00<attempts>\x00<reason>".
// It starts like an index member, so Forget finds the user's entries by
// the same prefix.
func deadEntry(id bot.UserID, kind bot.ReminderKind, due time.Time, attempts int, reason string) string {
	if len(reason) > maxDeadReason {
		n := maxDeadReason
		for n > 0 && !utf8.RuneStart(reason[n]) {
			n--
		}
		reason = reason[:n]
	}
	return strings.Join([]string{
		member(shortID(id), kindCode(kind)),
		strconv.FormatInt(millis(due), 10),
		strconv.Itoa(attempts),
		reason,
	}, "\x00")
}

func decodeDeadEntry(e string) (DeadEntry, error) {
	f := strings.SplitN(e, "\x00", 5)
	if len(f) != 5 {
		return DeadEntry{}, fmt.Errorf("dead letter %s: want 5 fields", keyPseudonym(e))
	}
	id, err := longID(f[0])
	if err != nil {
		return DeadEntry{}, err
	}
	kind, err := kindOfCode(f[1])
	if err != nil {
		return DeadEntry{}, err
	}
	ms, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return DeadEntry{}, fmt.Errorf("dead letter of %s: due: %w", bot.HashUser(id), err)
	}
	attempts, err := strconv.Atoi(f[3])
	if err != nil {
		return DeadEntry{}, fmt.Errorf("dead letter of %s: attempts: %w", bot.HashUser(id), err)
	}
	return DeadEntry{User: id, Kind: kind, Due: time.UnixMilli(ms).UTC(), Attempts: attempts, Reason: f[4]}, nil
}

// DeadLettered returns the dead letters of every shard, for operators and
// tests: shard by shard, newest first within a shard.
func (s *Store) DeadLettered(ctx context.Context) ([]DeadEntry, error) {
	ctx, cancel, err := s.begin(ctx, "read dead letters")
	if err != nil {
		return nil, err
	}
	defer cancel()
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(s.prefixes))
	for i, prefix := range s.prefixes {
		cmds[i] = pipe.LRange(ctx, prefix+"dead", 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, s.fail("read dead letters", err)
	}
	var out []DeadEntry
	for _, cmd := range cmds {
		if out, err = s.decodeDead(out, cmd.Val(), ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}
