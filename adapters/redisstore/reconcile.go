package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

// reconcileBatch is how many records Reconcile reads in one pipeline.
const reconcileBatch = 200

// Reconcile makes the due and lease indexes agree with the records, which
// are the source of truth: every slot of bot.Schedule(record) is either
// claimed (in the lease index) or in the due index at its time, and no
// other entry exists. It returns how many entries it added, moved or
// removed.
//
// The scripts keep the index exact, so a healthy store needs no repair;
// this is the safety net for what scripts cannot prevent (a hand edit, a
// restore of a partial backup, a bug). Call it once at start-up, after
// Open. It reads every record (SCAN on every master, then one shard at a
// time), so it takes time in proportion to the data, and it is safe while
// other replicas work: each repair is a script that does nothing if the
// record changed since it was read, and otherwise looks at the index
// again at that instant.
func (s *Store) Reconcile(ctx context.Context) (fixed int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, s.fail("reconcile", err)
	}
	records := make([][]string, len(s.prefixes))
	err = s.scan(ctx, "{c*}:r:*", func(key string) {
		if shard, _, ok := s.parseKey(key); ok {
			records[shard] = append(records[shard], key)
		}
	})
	if err != nil {
		return 0, s.fail("reconcile", err)
	}
	for shard := range s.prefixes {
		n, err := s.reconcileShard(ctx, shard, records[shard])
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

// indexed is where a member is in its shard's indexes.
type indexed struct {
	due    string // its score in the due index; "" when not there
	leased bool
}

func (s *Store) reconcileShard(ctx context.Context, shard int, records []string) (int, error) {
	p := s.prefixes[shard]
	pipe := s.rdb.Pipeline()
	due := pipe.ZRangeWithScores(ctx, p+"due", 0, -1)
	lease := pipe.ZRange(ctx, p+"lease", 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	where := map[string]*indexed{}
	at := func(m string) *indexed {
		if where[m] == nil {
			where[m] = &indexed{}
		}
		return where[m]
	}
	for _, z := range due.Val() {
		m, _ := z.Member.(string)
		at(m).due = strconv.FormatFloat(z.Score, 'f', -1, 64)
	}
	for _, m := range lease.Val() {
		at(m).leased = true
	}

	var repairs []scriptCall
	repair := func(short, rev, m, slot string) {
		repairs = append(repairs, scriptCall{keys: []string{p + "r:" + short, p + "due", p + "lease"}, args: []any{rev, m, slot}})
	}
	revs := map[string]string{} // short id -> revision read
	unread := map[string]bool{} // short ids whose record this build cannot decode
	for i := 0; i < len(records); i += reconcileBatch {
		batch := records[i:min(i+reconcileBatch, len(records))]
		pipe := s.rdb.Pipeline()
		gets := make([]*redis.StringCmd, len(batch))
		for j, key := range batch {
			gets[j] = pipe.Get(ctx, key)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return 0, err
		}
		for j, key := range batch {
			short := key[len(p)+len("r:"):]
			id, err := longID(short)
			var (
				rev string
				u   bot.User
			)
			if err == nil {
				rev, u, err = decodeRecord(id, gets[j].Val())
			}
			if err != nil {
				// The key holds the user's id: the log gets its pseudonym.
				s.log.Error("redisstore: reconcile: a record does not decode: its index entries are left as they are", "record", keyPseudonym(key), "user", bot.HashUser(id), "err", err)
				unread[short] = true
				continue
			}
			revs[short] = rev
			for _, sl := range bot.Schedule(u) {
				m := member(short, kindCode(sl.Kind))
				slot := strconv.FormatInt(millis(sl.At), 10)
				w := at(m)
				if !(w.leased && w.due == "" || !w.leased && w.due == slot) {
					repair(short, rev, m, slot) // not claimed, and not waiting at its slot
				}
				delete(where, m)
			}
		}
	}
	// What is left is vouched for by no record read: a record that no
	// longer exists (revision "") or does not schedule it.
	for _, m := range sortedKeys(where) {
		short, _, _ := strings.Cut(m, "\x00")
		if !unread[short] {
			repair(short, revs[short], m, "")
		}
	}
	fixed := 0
	var errs []error
	for _, cmd := range s.evalAll(ctx, repairScript, repairs) {
		n, err := cmd.Int()
		fixed += n
		errs = append(errs, err)
	}
	return fixed, errors.Join(errs...)
}

// scan calls fn with every key matching pattern, on every master of a
// Cluster (one at a time: fn need not be safe for concurrent use).
func (s *Store) scan(ctx context.Context, pattern string, fn func(string)) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			fn(iter.Val())
		}
		return iter.Err()
	}
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, s.rdb)
	}
	var (
		mu      sync.Mutex
		masters []*redis.Client
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		mu.Lock() // ForEachMaster calls at once: collect, then scan in turn
		defer mu.Unlock()
		masters = append(masters, c)
		return nil
	})
	for _, c := range masters {
		err = errors.Join(err, scan(ctx, c))
	}
	return err
}
