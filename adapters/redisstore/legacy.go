package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

// This file migrates a Redis written by the release before (key layout
// version 1: a hash per user with field formats of its own, reminders
// waiting in bucket lists) to this layout, at Open. What it needs of the
// old formats, it reads; nothing here writes them.

const (
	// legacyVersion is the layout this file migrates from.
	legacyVersion = "1"
	// migrateLock is held (SET NX) by the one replica that migrates; the
	// others wait for the layout to say version 2. It expires, so that
	// a replica that dies migrating does not stop the others for ever,
	// and the migrating one renews it after every batch.
	migrateLock    = "coachbot:migrate"
	migrateLockTTL = 30 * time.Second
	// migrateBatch is how many users one pipeline migrates.
	migrateBatch = 100
)

// migrate moves every user of layout 1 to a record of this layout, then
// records version 2. Each user moves in one script (record and index
// entries written, old hash and its bucket entries removed), so a
// migration stopped halfway (a crash, a lost lock) is finished by the next
// Open: what was moved is not found again, and nothing is lost. Dead
// letters keep their format and stay where they are.
func (s *Store) migrate(ctx context.Context) error {
	token := randomHex(8)
	for {
		v, err := s.rdb.HGet(ctx, metaKey, "version").Result()
		if err != nil {
			return s.fail("migrate", err)
		}
		if v != legacyVersion {
			return nil // another replica finished it
		}
		got, err := s.rdb.SetNX(ctx, migrateLock, token, migrateLockTTL).Result()
		if err != nil {
			return s.fail("migrate", err)
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return s.fail("wait for another replica's migration", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
		defer cancel()
		_ = unlockScript.Run(ctx, s.rdb, []string{migrateLock}, token).Err()
	}()
	// The holder before us may have finished while we asked for the lock.
	v, err := s.rdb.HGet(ctx, metaKey, "version").Result()
	if err != nil {
		return s.fail("migrate", err)
	}
	if v != legacyVersion {
		return nil
	}

	s.log.Info("redisstore: migrating the data of layout version 1 to version 2")
	var users []string
	if err := s.scan(ctx, "{c*}:u:*", func(key string) { users = append(users, key) }); err != nil {
		return s.fail("migrate", err)
	}
	var moved, dropped int
	for i := 0; i < len(users); i += migrateBatch {
		if ok, err := renewScript.Run(ctx, s.rdb, []string{migrateLock}, token, migrateLockTTL.Milliseconds()).Bool(); err != nil || !ok {
			return s.fail("migrate", errors.Join(err, errors.New("lost the migration lock")))
		}
		m, d, err := s.migrateUsers(ctx, users[i:min(i+migrateBatch, len(users))])
		moved, dropped = moved+m, dropped+d
		if err != nil {
			return s.fail("migrate", err)
		}
	}
	swept, err := s.sweepLegacy(ctx)
	if err != nil {
		return s.fail("migrate", err)
	}
	// Last: a migration that stopped before this is run again.
	if err := s.rdb.HSet(ctx, metaKey, "version", layoutVersion).Err(); err != nil {
		return s.fail("migrate", err)
	}
	s.log.Info("redisstore: migrated to layout version 2", "users", moved, "dropped", dropped, "keys_removed", swept)
	return nil
}

// migrateUsers moves the users of the hashes keys. It returns how many it
// moved and how many it dropped (hashes with nothing but acked-occurrence
// markers, which this layout keeps in the reminder).
func (s *Store) migrateUsers(ctx context.Context, keys []string) (moved, dropped int, err error) {
	pipe := s.rdb.Pipeline()
	reads := make([]*redis.MapStringStringCmd, len(keys))
	for i, key := range keys {
		reads[i] = pipe.HGetAll(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, err
	}
	var calls []scriptCall
	for i, key := range keys {
		shard, rest, ok := s.parseKey(key)
		short, _ := strings.CutPrefix(rest, "u:")
		id, err := longID(short)
		if !ok || err != nil {
			return moved, dropped, fmt.Errorf("key %s: %w", keyPseudonym(key), errors.Join(err, errors.New("not a user hash")))
		}
		fields := reads[i].Val()
		if len(fields) == 0 {
			continue // gone since the scan
		}
		u, entries, keep, err := decodeLegacy(id, fields)
		if err == nil && keep {
			// A record UpdateUser would refuse could never be changed
			// again: stop, for someone to look, rather than write it.
			err = u.Validate()
		}
		if err != nil {
			return moved, dropped, fmt.Errorf("key of user %s: %w", bot.HashUser(id), err)
		}
		p := s.prefixes[shard]
		call := scriptCall{keys: []string{key, p + "r:" + short, p + "due", p + "lease"}, args: []any{""}}
		if keep {
			call.args[0] = recordValue(nextRevision(""), u)
			moved++
		} else {
			dropped++
		}
		slots := map[string]int64{}
		for _, sl := range bot.Schedule(u) {
			slots[member(short, kindCode(sl.Kind))] = millis(sl.At)
		}
		for _, e := range entries {
			k := 0
			if e.bucket != "" {
				call.keys = append(call.keys, p+"b:"+e.bucket)
				k = len(call.keys)
			}
			slot := ""
			if at, ok := slots[e.member]; ok && keep {
				slot = strconv.FormatInt(at, 10)
			}
			call.args = append(call.args, e.member, k, e.bucket, slot)
		}
		calls = append(calls, call)
	}
	for _, cmd := range s.evalAll(ctx, migrateScript, calls) {
		err = errors.Join(err, cmd.Err())
	}
	return moved, dropped, err
}

// sweepLegacy removes what layout 1 kept besides the users' hashes: the
// bucket lists and their entries in the due index, and the write keys of
// its compare-and-set. It returns how many keys and entries it removed.
func (s *Store) sweepLegacy(ctx context.Context) (int, error) {
	var keys []string
	for _, pattern := range []string{"{c*}:b:*", "{c*}:w:*"} {
		if err := s.scan(ctx, pattern, func(key string) { keys = append(keys, key) }); err != nil {
			return 0, err
		}
	}
	removed := 0
	for i := 0; i < len(keys); i += migrateBatch {
		pipe := s.rdb.Pipeline()
		for _, key := range keys[i:min(i+migrateBatch, len(keys))] {
			pipe.Del(ctx, key)
		}
		cmds, err := pipe.Exec(ctx)
		if err != nil {
			return removed, err
		}
		for _, c := range cmds {
			removed += int(c.(*redis.IntCmd).Val())
		}
	}
	calls := make([]scriptCall, len(s.prefixes))
	for i, p := range s.prefixes {
		calls[i] = scriptCall{keys: []string{p + "due"}}
	}
	for _, cmd := range s.evalAll(ctx, sweepScript, calls) {
		n, err := cmd.Int()
		if err != nil {
			return removed, err
		}
		removed += n
	}
	return removed, nil
}

// migrateScript moves one user. KEYS: the old hash, the new record, due,
// lease, then the buckets the user's reminders wait in. ARGV: the new
// record's value ("": drop the user), then per old reminder its member,
// the KEYS index of its bucket (0: none, paused), the bucket's name, and
// its slot in the new due index ("": none). A record already there is
// not overwritten (a migration never meets one; this keeps a re-run
// harmless). It returns 1 if it wrote a record.
var migrateScript = redis.NewScript(`
local wrote = 0
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], ARGV[1])
  wrote = 1
end
for i = 2, #ARGV, 4 do
  local m, k, pos, slot = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  redis.call('ZREM', KEYS[4], m)
  if k > 0 then
    redis.call('LREM', KEYS[k], 0, m)
    if redis.call('EXISTS', KEYS[k]) == 0 then redis.call('ZREM', KEYS[3], pos) end
  end
  if wrote == 1 and slot ~= '' then redis.call('ZADD', KEYS[3], slot, m) end
end
redis.call('DEL', KEYS[1])
return wrote
`)

// sweepScript removes the entries of layout 1 from a due index: bucket
// names, where this layout's members hold a NUL. KEYS: due. It returns
// how many it removed.
var sweepScript = redis.NewScript(`
local old = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not string.find(m, '\0', 1, true) then old[#old + 1] = m end
end
for i = 1, #old, 1000 do
  redis.call('ZREM', KEYS[1], unpack(old, i, math.min(i + 999, #old)))
end
return #old
`)

// renewScript extends the migration lock while it is ours. KEYS: the
// lock. ARGV: our token, the ttl in ms.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// unlockScript deletes the migration lock if it is ours.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`)

// legacyEntry is where a layout-1 reminder was indexed.
type legacyEntry struct {
	member string
	bucket string // the bucket list it waits in, base-62 ms; "" for none (paused)
}

// decodeLegacy reads the hash of a layout-1 user: the record (field "u",
// chunked as "u", "u~1", ...; the notice "un"...) and each reminder of
// kind code k ("r<k>" its spec, "s<k>" its state, "p<k>" why it is
// paused, "m<k>" the occurrences acked). keep is false for a hash that
// holds neither a record nor a reminder (only markers), which this
// layout has no use for.
func decodeLegacy(id bot.UserID, fields map[string]string) (u bot.User, entries []legacyEntry, keep bool, err error) {
	u = bot.User{ID: id}
	if _, ok := fields["u"]; ok {
		keep = true
		if u, err = legacyRecord(id, fields); err != nil {
			return bot.User{}, nil, false, err
		}
	}
	short := shortID(id)
	for _, name := range sortedKeys(fields) {
		code, ok := strings.CutPrefix(name, "r")
		if !ok {
			continue
		}
		keep = true
		r, bucket, err := legacyReminder(id, code, fields)
		if err != nil {
			return bot.User{}, nil, false, err
		}
		u.SetReminder(r)
		entries = append(entries, legacyEntry{member: member(short, code), bucket: bucket})
	}
	return u, entries, keep, nil
}

// legacyRecord reads "created|updated|zone|streak last|current|best|
// days|done steps" and the notice.
func legacyRecord(id bot.UserID, fields map[string]string) (bot.User, error) {
	u := bot.User{ID: id}
	items := split('|', unchunk(fields, "u"))
	var (
		errs []error
		err  error
		ok   bool
	)
	u.Created, err = parseMS(item(items, 0))
	errs = append(errs, err)
	u.Updated, err = parseMS(item(items, 1))
	errs = append(errs, err)
	if u.Zone, ok = expandZone(item(items, 2)); !ok {
		errs = append(errs, fmt.Errorf("bad zone %q", item(items, 2)))
	}
	u.Streak.Last, err = expandDate(item(items, 3))
	errs = append(errs, err)
	for i, p := range []*int{&u.Streak.Current, &u.Streak.Best, &u.Streak.Days} {
		n, err := atoi(item(items, 4+i))
		errs = append(errs, err)
		*p = n
	}
	if len(items) > 7 {
		u.Done = split(',', items[7])
	}
	u.Notice = unchunk(fields, "un")
	if err := errors.Join(errs...); err != nil {
		return bot.User{}, fmt.Errorf("user record: %w", err)
	}
	return u, nil
}

// legacyReminder reads the reminder of kind code: its spec
// "next|at|zone|days|created", its state ("b<bucket>|<attempts>" when it
// waits in another bucket than next's, as after a retry, or has failed
// attempts; "-|<attempts>" when paused; absent: the bucket of next),
// why it is paused, and its markers. It returns the bucket it waits in.
func legacyReminder(id bot.UserID, code string, fields map[string]string) (bot.Reminder, string, error) {
	kind, err := kindOfCode(code)
	if err != nil {
		return bot.Reminder{}, "", err
	}
	spec := fields["r"+code]
	items := split('|', spec)
	r := bot.Reminder{User: id, Kind: kind}
	var ok bool
	var errs []error
	if r.Zone, ok = expandZone(item(items, 2)); !ok {
		errs = append(errs, fmt.Errorf("bad zone %q", item(items, 2)))
	}
	r.At, err = expandClock(item(items, 1))
	errs = append(errs, err)
	r.Next, err = parseMS(item(items, 0))
	errs = append(errs, err)
	if d := item(items, 3); d != "" {
		days, err := strconv.ParseUint(d, 36, 8)
		errs = append(errs, err)
		r.Days = bot.Weekdays(days)
	}
	r.Created, err = parseMS(item(items, 4))
	errs = append(errs, err)

	next, _, _ := strings.Cut(spec, "|") // as the old scripts read it: raw
	bucket := next
	if st, ok := fields["s"+code]; ok {
		pos, att, _ := strings.Cut(st, "|")
		r.Attempts, err = atoi(att)
		errs = append(errs, err)
		switch {
		case pos == "-":
			bucket = ""
		case strings.HasPrefix(pos, "b") && len(pos) > 1:
			bucket = pos[1:]
		default:
			errs = append(errs, fmt.Errorf("bad state %q", st))
		}
	}
	r.Paused = unchunk(fields, "p"+code)
	if bucket != "" && bucket != next {
		// A retry: Next keeps the occurrence, the bucket says when.
		r.RetryAt, err = parseMS(bucket)
		errs = append(errs, err)
	}
	for m := range strings.SplitSeq(fields["m"+code], ",") {
		if m != "" && m == next && !r.Next.IsZero() {
			r.Sent = r.Next // acked: a claim of it is Delivered
		}
	}
	if err := errors.Join(errs...); err != nil {
		return bot.Reminder{}, "", fmt.Errorf("reminder %s: %w", kind, err)
	}
	return r, bucket, nil
}

// The value formats of layout 1: times as base-62 Unix ms, dates as
// base-36 days since 1970, times of day as base-36 minutes, common zones
// as codes, lists joined with escaped separators, and values longer than
// 64 bytes split over "name", "name~1", ...

// rawPrefix marks a value stored as is where a compact form was expected.
const rawPrefix = "="

func unchunk(fields map[string]string, name string) string {
	v, ok := fields[name]
	if !ok {
		return ""
	}
	for i := 1; ; i++ {
		c, ok := fields[name+"~"+strconv.Itoa(i)]
		if !ok {
			return v
		}
		v += c
	}
}

// split splits s at sep, where a '\' escapes the byte after it.
func split(sep byte, s string) []string {
	var (
		items []string
		b     strings.Builder
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == sep:
			items = append(items, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(items, b.String())
}

// item returns items[i], or "" past the end: trailing empty items were
// not written.
func item(items []string, i int) string {
	if i < len(items) {
		return items[i]
	}
	return ""
}

func atoi(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

func unb62(s string) (int64, error) {
	digits, neg := strings.CutPrefix(s, "-")
	if digits == "" || len(digits) > 11 {
		return 0, fmt.Errorf("bad base-62 number %q", s)
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		d := strings.IndexByte(digits62, digits[i])
		if d < 0 {
			return 0, fmt.Errorf("bad base-62 number %q", s)
		}
		n = n*62 + int64(d)
	}
	if neg {
		n = -n
	}
	return n, nil
}

// parseMS reads a time; "" is the zero time.
func parseMS(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ms, err := unb62(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

func expandDate(s string) (string, error) {
	if raw, ok := strings.CutPrefix(s, rawPrefix); ok || s == "" {
		return raw, nil
	}
	days, err := strconv.ParseInt(s, 36, 64)
	if err != nil {
		return "", fmt.Errorf("bad date %q", s)
	}
	return time.Unix(0, 0).UTC().AddDate(0, 0, int(days)).Format(time.DateOnly), nil
}

func expandClock(s string) (string, error) {
	if raw, ok := strings.CutPrefix(s, rawPrefix); ok || s == "" {
		return raw, nil
	}
	m, err := strconv.ParseInt(s, 36, 64)
	if err != nil || m < 0 || m >= 24*60 {
		return "", fmt.Errorf("bad time of day %q", s)
	}
	return fmt.Sprintf("%02d:%02d", m/60, m%60), nil
}

// expandZone reads a zone: "#<base-62 position in legacyZones>", raw
// behind "=", or the name itself.
func expandZone(s string) (string, bool) {
	if raw, ok := strings.CutPrefix(s, rawPrefix); ok {
		return raw, true
	}
	code, ok := strings.CutPrefix(s, "#")
	if !ok {
		return s, true
	}
	i, err := unb62(code)
	if err != nil || i < 0 || i >= int64(len(legacyZones)) {
		return "", false
	}
	return legacyZones[i], true
}

// legacyZones is the dictionary of zone codes layout 1 wrote: a zone's
// position is what is stored, so it is exactly the list of that release
// (TestLegacyZones pins it).
var legacyZones = []string{
	// The first 62 get one-character codes: the most common first.
	"UTC", "Asia/Kolkata", "America/New_York", "Europe/London", "Europe/Berlin",
	"America/Los_Angeles", "America/Chicago", "America/Sao_Paulo", "Europe/Paris", "Asia/Tokyo",
	"Asia/Shanghai", "Asia/Singapore", "Australia/Sydney", "Europe/Madrid", "Europe/Amsterdam",
	"America/Toronto", "America/Denver", "Asia/Dubai", "Asia/Jakarta", "Asia/Manila",
	"Asia/Karachi", "Asia/Dhaka", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
	"Africa/Johannesburg", "Europe/Moscow", "Europe/Istanbul", "Europe/Warsaw", "Europe/Kyiv",
	"Europe/Rome", "Europe/Stockholm", "Europe/Dublin", "Europe/Lisbon", "Europe/Zurich",
	"Europe/Vienna", "Europe/Prague", "Europe/Brussels", "Europe/Bucharest", "Europe/Athens",
	"Europe/Helsinki", "Europe/Oslo", "Europe/Copenhagen", "Asia/Seoul", "Asia/Hong_Kong",
	"Asia/Taipei", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Kuala_Lumpur", "Asia/Riyadh",
	"Asia/Tehran", "Asia/Jerusalem", "Asia/Kathmandu", "Asia/Colombo", "America/Mexico_City",
	"America/Bogota", "America/Lima", "America/Argentina/Buenos_Aires", "America/Santiago", "America/Phoenix",
	"America/Vancouver", "Pacific/Auckland",
	// Two-character codes from here on.
	"Australia/Melbourne", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide", "America/Halifax",
	"America/Anchorage", "Pacific/Honolulu", "America/Caracas", "America/Montevideo", "America/Guatemala",
	"America/Panama", "America/Havana", "America/Puerto_Rico", "America/Edmonton", "America/Winnipeg",
	"America/Regina", "America/St_Johns", "America/Detroit", "America/Indiana/Indianapolis", "America/Boise",
	"Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Accra", "Africa/Addis_Ababa",
	"Africa/Dar_es_Salaam", "Africa/Kampala", "Africa/Kinshasa", "Africa/Abidjan", "Africa/Dakar",
	"Asia/Yangon", "Asia/Almaty", "Asia/Tashkent", "Asia/Baku", "Asia/Tbilisi",
	"Asia/Yerevan", "Asia/Baghdad", "Asia/Kuwait", "Asia/Qatar", "Asia/Muscat",
	"Asia/Amman", "Asia/Beirut", "Asia/Kabul", "Asia/Novosibirsk", "Asia/Yekaterinburg",
	"Asia/Vladivostok", "Europe/Belgrade", "Europe/Budapest", "Europe/Sofia", "Europe/Riga",
	"Europe/Vilnius", "Europe/Tallinn", "Europe/Minsk", "Europe/Luxembourg", "Atlantic/Reykjavik",
	"Etc/UTC", "Etc/GMT",
}
