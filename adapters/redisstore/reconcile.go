package redisstore

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// reconcileBatch is how many hashes or bucket lists Reconcile reads in one
// pipeline.
const reconcileBatch = 200

// Reconcile makes the due and lease indexes agree with the user hashes,
// which are the source of truth: a reminder that is in a hash but in no
// index (or in the wrong place, or twice) is put back where its state says,
// and an index entry that no reminder vouches for is removed. It returns
// how many repairs it made.
//
// The scripts keep the indexes exact, so a healthy store needs no repair;
// this is the safety net for what scripts cannot prevent (a hand edit, a
// restore of a partial backup, a bug). Call it once at start-up, after
// Open. It reads every key of the store (SCAN on every master, then the
// indexes and hashes of one shard at a time), so it takes time in
// proportion to the data, and it is safe while other replicas work: what it
// finds is only a hint, and every repair is a script that checks again, at
// that instant, that the repair is still needed.
func (s *Store) Reconcile(ctx context.Context) (fixed int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, s.fail("reconcile", err)
	}
	users := make([][]string, len(s.prefixes))
	buckets := make([]map[string]bool, len(s.prefixes))
	for i := range buckets {
		buckets[i] = map[string]bool{}
	}
	var mu sync.Mutex
	err = s.scanKeys(ctx, func(key string) {
		shard, rest, ok := s.parseKey(key)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasPrefix(rest, "u:"):
			users[shard] = append(users[shard], key)
		case strings.HasPrefix(rest, "b:"):
			buckets[shard][rest[2:]] = true
		}
	})
	if err != nil {
		return 0, s.fail("reconcile", err)
	}
	for shard := range s.prefixes {
		n, err := s.reconcileShard(ctx, shard, users[shard], buckets[shard])
		fixed += n
		if n > 0 {
			s.log.Warn("redisstore: reconcile repaired the reminder index", "shard", shard, "repairs", n)
		}
		if err != nil {
			return fixed, s.fail("reconcile", err)
		}
	}
	return fixed, nil
}

// scanKeys calls fn with every key of ours, on every master of a Cluster
// (concurrently: fn must be safe for that).
func (s *Store) scanKeys(ctx context.Context, fn func(string)) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, "{c*}:*", 1000).Iterator()
		for iter.Next(ctx) {
			fn(iter.Val())
		}
		return iter.Err()
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, s.rdb)
}

// parseKey splits "{c<s>}:<rest>" into the shard and the rest.
func (s *Store) parseKey(key string) (shard int, rest string, ok bool) {
	tag, rest, ok := strings.Cut(key, "}:")
	if !ok || !strings.HasPrefix(tag, "{c") {
		return 0, "", false
	}
	shard, err := strconv.Atoi(tag[2:])
	if err != nil || shard < 0 || shard >= len(s.prefixes) {
		return 0, "", false
	}
	return shard, rest, true
}

func (s *Store) reconcileShard(ctx context.Context, shard int, users []string, scanned map[string]bool) (int, error) {
	prefix := s.prefixes[shard]
	keys := []string{prefix + "due", prefix + "lease"}
	fixed := 0
	run := func(script *redis.Script, keys []string, args ...any) error {
		n, err := script.Run(ctx, s.rdb, keys, append([]any{prefix}, args...)...).Int()
		fixed += n
		return err
	}

	// The due index and the bucket lists must name each other.
	indexed, err := s.rdb.ZRange(ctx, keys[0], 0, -1).Result()
	if err != nil {
		return fixed, err
	}
	all := map[string]bool{}
	for _, b := range indexed {
		all[b] = true
	}
	for _, b := range sortedKeys(scanned) {
		if !all[b] {
			if err := run(bucketScript, keys, b); err != nil {
				return fixed, err
			}
			all[b] = true
		}
	}
	for _, b := range indexed {
		if !scanned[b] {
			if err := run(bucketScript, keys, b); err != nil {
				return fixed, err
			}
		}
	}

	// Where every index member is, as "b<bucket>" or "l<lease score>".
	where := map[string][]string{}
	bucketList := sortedKeys(all)
	for i := 0; i < len(bucketList); i += reconcileBatch {
		batch := bucketList[i:min(i+reconcileBatch, len(bucketList))]
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringSliceCmd, len(batch))
		for j, b := range batch {
			cmds[j] = pipe.LRange(ctx, prefix+"b:"+b, 0, -1)
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return fixed, err
		}
		for j, b := range batch {
			for _, m := range cmds[j].Val() {
				where[m] = append(where[m], "b"+b)
			}
		}
	}
	leased, err := s.rdb.ZRangeWithScores(ctx, keys[1], 0, -1).Result()
	if err != nil {
		return fixed, err
	}
	for _, z := range leased {
		m, _ := z.Member.(string)
		where[m] = append(where[m], "l"+strconv.FormatFloat(z.Score, 'f', -1, 64))
	}

	// Every reminder must be in exactly one place: the lease index while
	// it is claimed, else the bucket its state names (none when paused).
	for i := 0; i < len(users); i += reconcileBatch {
		batch := users[i:min(i+reconcileBatch, len(users))]
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(batch))
		for j, key := range batch {
			cmds[j] = pipe.HGetAll(ctx, key)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fixed, err
		}
		for j, key := range batch {
			short := key[len(prefix)+len("u:"):]
			fields := cmds[j].Val()
			for _, f := range sortedKeys(fields) {
				if !strings.HasPrefix(f, pSpec) {
					continue
				}
				code := f[len(pSpec):]
				m := member(short, code)
				got := where[m]
				want := expectedPos(fields, code)
				for _, p := range got {
					if strings.HasPrefix(p, "l") && want != "" {
						want = p // claimed: the lease entry is its place
					}
				}
				if want == "" {
					continue // paused: any entry is an orphan
				}
				if len(got) == 1 && got[0] == want {
					delete(where, m)
					continue
				}
				if err := run(reindexScript, []string{keys[0], keys[1], key}, code, m); err != nil {
					return fixed, err
				}
				var rest []string
				for _, p := range got {
					if p != want {
						rest = append(rest, p)
					}
				}
				where[m] = rest
			}
		}
	}

	// What is left in where is vouched for by no reminder we read.
	for _, m := range sortedKeys(where) {
		for _, p := range where[m] {
			if err := run(orphanScript, keys, m, p[:1], p[1:]); err != nil {
				return fixed, err
			}
		}
	}
	return fixed, nil
}

// expectedPos says which bucket a reminder waits in when it is not
// claimed, as "b<bucket>", or "" for none (paused); the same rule as the
// scripts' load.
func expectedPos(fields map[string]string, code string) string {
	st, err := decodeState(fields[pState+code])
	if err != nil {
		return ""
	}
	switch {
	case st.pos == "":
		next, _, _ := strings.Cut(fields[pSpec+code], "|")
		if next == "" {
			return ""
		}
		return "b" + next
	case strings.HasPrefix(st.pos, "b") && len(st.pos) > 1:
		return st.pos
	}
	return ""
}
