package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

const (
	// fence is the FENCE of the scripts: a lease's score is its deadline
	// in ms times fence plus a nonce below fence.
	fence = 1024
	// maxShardClaims bounds what one claim script leases, so that its
	// reply and its ZADD stay small; ClaimDue asks again for more.
	maxShardClaims = 1000
)

// leased is one entry claimScript leased: a claim before it is decoded.
type leased struct {
	shard      int
	member     string
	slot       int64  // when it was due (ms): for the order across shards
	value      string // the user's record
	score      int64  // its lease score, which the token ends in
	now, until time.Time
}

// ClaimDue asks every shard at once, in one pipeline (one round trip on
// one server; go-redis sends a Cluster's per node, in parallel), for its
// share of limit, starting the shares at a shard one further along at
// every call so that the remainder goes round. Only shards that filled
// their share are asked again, for what is left. Within a shard the
// earliest due come first; across shards the answer is sorted, so under a
// backlog the order is only roughly earliest first. A claim this call
// cannot return (over limit, or ClaimDue failing halfway) is given back
// at once.
func (s *Store) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]bot.Claim, error) {
	if limit < 1 {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a positive limit, not %d.", limit)
	}
	// Leases are kept in milliseconds: a shorter one would end as it begins.
	if lease < time.Millisecond {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a lease of at least 1ms, not %s.", lease)
	}
	ctx, cancel, err := s.begin(ctx, "claim due reminders")
	if err != nil {
		return nil, err
	}
	defer cancel()
	n := len(s.prefixes)
	start := int(s.rotate.Add(1) % uint32(n))
	ask := make([]int, n)
	for i := range ask {
		ask[i] = (start + i) % n
	}
	var got []leased
	for left := limit; len(ask) > 0 && left > 0; {
		// Every shard asked gets at least 1, so one round trip sees all
		// of them even when limit < shards; the excess is given back.
		quotas := make([]int, len(ask))
		for i := range quotas {
			quotas[i] = min(max(left/len(ask)+b2i(i < left%len(ask)), 1), maxShardClaims)
		}
		res, err := s.claimShards(ctx, ask, quotas, lease)
		if err != nil {
			s.giveBack(ctx, append(got, res...), nil)
			return nil, s.fail("claim due reminders", err)
		}
		var full []int
		for i, shard := range ask {
			mine := 0
			for _, l := range res {
				if l.shard == shard {
					mine++
				}
			}
			if mine == quotas[i] {
				full = append(full, shard)
			}
			left -= mine
		}
		got = append(got, res...)
		ask = full
	}
	slices.SortStableFunc(got, func(a, b leased) int { return cmp.Compare(a.slot, b.slot) })

	prefix := randomHex(8) + "."
	var (
		claims []bot.Claim
		back   []leased // over limit: given back
		drop   []leased // no reminder vouches for the entry
	)
	for i, l := range got {
		id, kind, err := parseMember(l.member)
		var u bot.User
		if err == nil {
			_, u, err = decodeRecord(id, l.value)
		}
		if err != nil {
			// A record this build cannot read (a newer coachbot's): the
			// lease runs out and the reminder comes back, for a replica
			// that can.
			s.log.Error("redisstore: claimed a reminder whose record does not decode", "member", strconv.Quote(l.member), "err", err)
			continue
		}
		if len(claims) == limit {
			back = append(back, l)
			continue
		}
		token := prefix + strconv.Itoa(i) + ":" + strconv.FormatInt(l.score, 10)
		c, ok := bot.NewClaim(u, kind, token, l.now, l.until)
		if !ok {
			drop = append(drop, l)
			continue
		}
		claims = append(claims, c)
	}
	s.giveBack(ctx, back, drop)
	return claims, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// claimShards runs claimScript on the shards, each for its quota, in one
// pipeline, and returns what they leased. On an error it returns the
// leases of the shards that answered, so that they can be given back.
func (s *Store) claimShards(ctx context.Context, shards, quotas []int, lease time.Duration) ([]leased, error) {
	calls := make([]scriptCall, len(shards))
	nonces := make([]int, len(shards))
	for i, shard := range shards {
		p := s.prefixes[shard]
		nonces[i] = mrand.IntN(fence)
		calls[i] = scriptCall{keys: []string{p + "due", p + "lease"}, args: []any{p, quotas[i], lease.Milliseconds(), nonces[i]}}
	}
	var (
		out  []leased
		errs []error
	)
	for i, cmd := range s.evalAll(ctx, claimScript, calls) {
		res, err := cmd.StringSlice()
		if err == nil {
			var ls []leased
			ls, err = decodeLeased(shards[i], nonces[i], res)
			out = append(out, ls...)
		}
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// decodeLeased reads claimScript's answer: the n-th claim's lease score is
// deadline × fence + (nonce + n) mod fence.
func decodeLeased(shard, nonce int, res []string) ([]leased, error) {
	if len(res) < 2 || (len(res)-2)%3 != 0 {
		return nil, fmt.Errorf("claim script returned %d values", len(res))
	}
	nowMS, err1 := strconv.ParseInt(res[0], 10, 64)
	untilMS, err2 := strconv.ParseInt(res[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("claim script: %w", err)
	}
	now, until := time.UnixMilli(nowMS).UTC(), time.UnixMilli(untilMS).UTC()
	var out []leased
	for i, n := 2, 1; i < len(res); i, n = i+3, n+1 {
		slot, err := strconv.ParseInt(res[i+1], 10, 64)
		if err != nil {
			return out, fmt.Errorf("claim script: slot: %w", err)
		}
		out = append(out, leased{
			shard: shard, member: res[i], slot: slot, value: res[i+2],
			score: untilMS*fence + int64((nonce+n)%fence), now: now, until: until,
		})
	}
	return out, nil
}

// giveBack ends the leases of claims ClaimDue will not return: back are
// put in the due index again at their record's slot, drop (entries their
// record does not schedule) only leave the lease index. It is best
// effort, with a time of its own (ClaimDue's may be what ran out): a
// lease it cannot end runs out by itself, and the reminder comes back
// then.
func (s *Store) giveBack(ctx context.Context, back, drop []leased) {
	if len(back)+len(drop) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	args := map[int][]any{}
	for _, l := range back {
		slot := ""
		if id, kind, err := parseMember(l.member); err == nil {
			if _, u, err := decodeRecord(id, l.value); err == nil {
				for _, sl := range bot.Schedule(u) {
					if sl.Kind == kind {
						slot = strconv.FormatInt(millis(sl.At), 10)
					}
				}
			}
		}
		args[l.shard] = append(args[l.shard], l.member, l.score, slot)
	}
	for _, l := range drop {
		args[l.shard] = append(args[l.shard], l.member, l.score, "")
	}
	var calls []scriptCall
	for shard, a := range args {
		p := s.prefixes[shard]
		calls = append(calls, scriptCall{keys: []string{p + "due", p + "lease"}, args: a})
	}
	for _, cmd := range s.evalAll(ctx, releaseScript, calls) {
		if err := cmd.Err(); err != nil {
			s.log.Warn("redisstore: giving claims back", "err", err)
		}
	}
}

// leaseScore returns the lease score a token ends in ("" for a token this
// store did not make, which then holds nothing).
func leaseScore(token string) string {
	_, score, _ := strings.Cut(token, ":")
	return score
}

// scriptCall is one call of a script in evalAll.
type scriptCall struct {
	keys []string
	args []any
}

// evalAll runs the script once per call in one pipeline, by EVALSHA, and
// sends again, as EVAL, the calls that failed with NOSCRIPT (Redis
// restarted, failed over or flushed its scripts): EVAL runs the script and
// loads it for the calls to come. Each answer carries its own error.
func (s *Store) evalAll(ctx context.Context, script *redis.Script, calls []scriptCall) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(calls))
	pipe := s.rdb.Pipeline()
	for i, c := range calls {
		cmds[i] = script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	var again []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		pipe := s.rdb.Pipeline()
		for _, i := range again {
			cmds[i] = script.Eval(ctx, pipe, calls[i].keys, calls[i].args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	return cmds
}
