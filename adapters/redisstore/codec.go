package redisstore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coachbot/coachbot/bot"
)

// This file is the value format of a user's hash (see doc.go). It is kept
// apart from the bot types so that renaming a field in bot cannot silently
// change what is already stored, and it is compact because the hash is most
// of the memory a user costs: short field names, times as base-62 Unix
// milliseconds, dates and times of day as base-36 numbers, common zone
// names as codes (zones.go), lists joined with separators.

const (
	// chunkSize is the longest value written to one hash field. Redis keeps
	// a small hash as one compact listpack only while every value is at
	// most hash-max-listpack-value (64) bytes; one longer value converts it
	// to a hash table that costs several times the memory, and it never
	// converts back. Longer values are split over numbered fields.
	chunkSize = 64

	// Field names. User fields start with 'u' (UpdateUser's compare-and-set
	// covers exactly those); a reminder's start with 'r', 's', 'p' or 'm'
	// followed by the reminder's kind code.
	fUser   = "u"  // created|updated|zone|streak last|current|best|days|done steps (chunked)
	fNotice = "un" // the notice to show next (chunked)

	pSpec    = "r" // r<kind>: next|at|zone|days|created
	pState   = "s" // s<kind>: where it is indexed|attempts|claim token; absent: in the bucket of next
	pPaused  = "p" // p<kind>: why it is paused (chunked); absent: not paused
	pMarkers = "m" // m<kind>: acked occurrences, base-36 due times, comma-separated

	// chunkSep separates a chunked field's name from its chunk number:
	// "ud", "ud~1", "ud~2".
	chunkSep = "~"
)

// kindCode returns the short code of a reminder kind used in field names
// and index members. The two kinds the bot has get one letter; any other is
// hex-encoded behind "_", so that a code never contains the separators the
// layout uses.
func kindCode(k bot.ReminderKind) string {
	switch k {
	case bot.Daily:
		return "d"
	case bot.Once:
		return "o"
	}
	return "_" + hex.EncodeToString([]byte(k))
}

func kindOfCode(code string) (bot.ReminderKind, error) {
	switch {
	case code == "d":
		return bot.Daily, nil
	case code == "o":
		return bot.Once, nil
	case strings.HasPrefix(code, "_"):
		b, err := hex.DecodeString(code[1:])
		if err == nil && len(b) > 0 {
			return bot.ReminderKind(b), nil
		}
	}
	return "", fmt.Errorf("unknown reminder kind code %q", code)
}

// member names a reminder in the index: the user's short id (which never
// holds a NUL) and the kind code.
func member(short, code string) string { return short + "\x00" + code }

// platformCodes shorten the platform part of a user id in keys and index
// members: "discord:1234" is stored as "d:1234". A user's key and index
// entry are the bulk of what a user costs besides the hash itself, and
// these 6 or 7 bytes take the key into a smaller allocation (32 bytes
// instead of 48 for a Discord or Slack id). An id of any other platform is
// kept whole behind "=".
var platformCodes = [][2]string{{"discord:", "d:"}, {"slack:", "s:"}, {"console:", "c:"}}

// shortID returns the form of a user id used in keys and index members.
func shortID(id bot.UserID) string {
	for _, pc := range platformCodes {
		if rest, ok := strings.CutPrefix(string(id), pc[0]); ok {
			return pc[1] + rest
		}
	}
	return "=" + string(id)
}

// longID undoes shortID.
func longID(short string) (bot.UserID, error) {
	if rest, ok := strings.CutPrefix(short, "="); ok {
		return bot.UserID(rest), nil
	}
	for _, pc := range platformCodes {
		if rest, ok := strings.CutPrefix(short, pc[1]); ok {
			return bot.UserID(pc[0] + rest), nil
		}
	}
	return "", fmt.Errorf("bad short user id %q", short)
}

// rawPrefix marks a value stored as is where a compact form was expected
// (a date that is not YYYY-MM-DD, a time of day that is not HH:MM).
const rawPrefix = "="

// epoch is day 0 of the compact dates.
var epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// compactDate writes a date "YYYY-MM-DD" as base-36 days since 1970 ("fqf"
// for 2026-11-23); anything else is kept raw.
func compactDate(s string) string {
	if s == "" {
		return ""
	}
	y, ok1 := digits(s, 0, 4)
	m, ok2 := digits(s, 5, 7)
	d, ok3 := digits(s, 8, 10)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !ok1 || !ok2 || !ok3 {
		return rawPrefix + s
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || t.Month() != time.Month(m) || t.Day() != d {
		return rawPrefix + s // 2026-02-30 and the like are kept as written
	}
	return strconv.FormatInt(t.Unix()/(24*60*60), 36) // t is a midnight UTC: exact
}

// digits reads s[from:to] as a decimal number of exactly those digits. It
// is what the hot path uses instead of time.Parse, which costs more than
// the rest of encoding a reminder.
func digits(s string, from, to int) (int, bool) {
	if to > len(s) {
		return 0, false
	}
	n := 0
	for i := from; i < to; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func expandDate(s string) (string, error) {
	if raw, ok := strings.CutPrefix(s, rawPrefix); ok || s == "" {
		return raw, nil
	}
	days, err := strconv.ParseInt(s, 36, 64)
	if err != nil {
		return "", fmt.Errorf("bad date %q", s)
	}
	return epoch.AddDate(0, 0, int(days)).Format(time.DateOnly), nil
}

// compactClock writes a time of day "HH:MM" as base-36 minutes since
// midnight ("fu" for 09:30); anything else is kept raw.
func compactClock(s string) string {
	if s == "" {
		return ""
	}
	h, ok1 := digits(s, 0, 2)
	m, ok2 := digits(s, 3, 5)
	if len(s) != 5 || s[2] != ':' || !ok1 || !ok2 || h > 23 || m > 59 {
		return rawPrefix + s
	}
	return strconv.FormatInt(int64(h*60+m), 36)
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

// millis clamps times before 1970 to 0, as the index keeps no negative
// times.
func millis(t time.Time) int64 { return max(t.UnixMilli(), 0) }

// digits62 are the digits of base 62, in the order the scripts' d62 reads
// them.
const digits62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// b62 writes n in base 62: a time in Unix milliseconds takes 7 characters
// until the year 3080, one fewer than base 36.
func b62(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	var buf [12]byte
	i := len(buf)
	for u > 0 {
		i--
		buf[i] = digits62[u%62]
		u /= 62
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
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

// msText writes a time as base-62 Unix milliseconds, "" for the zero time.
func msText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return b62(t.UnixMilli())
}

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

// markerID is how an occurrence is named in the marker field.
func markerID(due time.Time) string { return b62(millis(due)) }

// join joins items with sep, escaping sep and '\' with a '\'.
func join(sep byte, items ...string) string {
	var b strings.Builder
	for i, s := range items {
		if i > 0 {
			b.WriteByte(sep)
		}
		for j := 0; j < len(s); j++ {
			if s[j] == sep || s[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
	}
	return b.String()
}

// split undoes join.
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

// trimEmpty drops trailing empty items, which item reads back as "", to
// save their separators.
func trimEmpty(items []string) []string {
	for len(items) > 0 && items[len(items)-1] == "" {
		items = items[:len(items)-1]
	}
	return items
}

// item returns items[i], or "" past the end.
func item(items []string, i int) string {
	if i < len(items) {
		return items[i]
	}
	return ""
}

// chunks splits a value over name, name~1, name~2, ... so that no field
// exceeds chunkSize. An empty value gives no field at all.
func chunks(name, v string) [][2]string {
	var out [][2]string
	for i := 0; len(v) > 0; i++ {
		n := min(len(v), chunkSize)
		f := name
		if i > 0 {
			f = name + chunkSep + strconv.Itoa(i)
		}
		out = append(out, [2]string{f, v[:n]})
		v = v[n:]
	}
	return out
}

// unchunk joins what chunks split.
func unchunk(fields map[string]string, name string) string {
	v, ok := fields[name]
	if !ok {
		return ""
	}
	for i := 1; ; i++ {
		c, ok := fields[name+chunkSep+strconv.Itoa(i)]
		if !ok {
			return v
		}
		v += c
	}
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func atoi(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

// userFields encodes the user record as hash fields: one field (chunked
// when long) for everything but the notice, because every field costs a
// few bytes of its own. A user the store has written always has the "u"
// field (Created is set), so its presence tells a known user from an
// unknown one.
func userFields(u bot.User) map[string]string {
	f := map[string]string{}
	rec := join('|', trimEmpty([]string{
		msText(u.Created), msText(u.Updated), compactZone(u.Zone),
		compactDate(u.Streak.Last), itoa(u.Streak.Current), itoa(u.Streak.Best), itoa(u.Streak.Days),
		join(',', u.Done...),
	})...)
	for _, c := range chunks(fUser, rec) {
		f[c[0]] = c[1]
	}
	for _, c := range chunks(fNotice, u.Notice) {
		f[c[0]] = c[1]
	}
	return f
}

// isUserField reports whether a hash field belongs to the user record.
func isUserField(name string) bool { return strings.HasPrefix(name, "u") }

// decodeUser reads the user record out of the user's hash fields.
func decodeUser(id bot.UserID, fields map[string]string) (bot.User, error) {
	u := bot.User{ID: id}
	if _, ok := fields[fUser]; !ok {
		return u, nil
	}
	items := split('|', unchunk(fields, fUser))
	var err error
	if u.Created, err = parseMS(item(items, 0)); err != nil {
		return bot.User{}, fmt.Errorf("user %s: created: %w", id, err)
	}
	if u.Updated, err = parseMS(item(items, 1)); err != nil {
		return bot.User{}, fmt.Errorf("user %s: updated: %w", id, err)
	}
	zone, ok := expandZone(item(items, 2))
	if !ok {
		return bot.User{}, fmt.Errorf("user %s: bad zone %q", id, item(items, 2))
	}
	u.Zone = zone
	if u.Streak.Last, err = expandDate(item(items, 3)); err != nil {
		return bot.User{}, fmt.Errorf("user %s: streak: %w", id, err)
	}
	var errs []error
	for i, p := range []*int{&u.Streak.Current, &u.Streak.Best, &u.Streak.Days} {
		n, err := atoi(item(items, 4+i))
		errs = append(errs, err)
		*p = n
	}
	if err := errors.Join(errs...); err != nil {
		return bot.User{}, fmt.Errorf("user %s: streak: %w", id, err)
	}
	if len(items) > 7 {
		u.Done = split(',', items[7])
	}
	u.Notice = unchunk(fields, fNotice)
	return u, nil
}

// reminderWrite is what PutReminder and Ack hand the scripts for one
// reminder: the fields to set, and where to index it.
type reminderWrite struct {
	fields  []string // field, value, field, value, ...
	indexAt string   // the due bucket to enter it in (base-62 Unix ms); "" for none (paused)
	score   string   // the bucket's time, decimal Unix ms
}

// encodeReminder encodes r for its user's hash. The state field is written
// only when it says something the spec does not: the common reminder (not
// paused, never failed, waiting in the bucket of its Next) has none, which
// saves the bytes of a field per user.
func encodeReminder(r bot.Reminder) reminderWrite {
	code := kindCode(r.Kind)
	days := ""
	if r.Days != 0 {
		days = strconv.FormatUint(uint64(r.Days), 36)
	}
	spec := join('|', trimEmpty([]string{msText(r.Next), compactClock(r.At), compactZone(r.Zone), days, msText(r.Created)})...)
	w := reminderWrite{fields: []string{pSpec + code, spec}}
	switch {
	case r.Paused != "":
		w.fields = append(w.fields, pState+code, "-|"+itoa(r.Attempts))
		for _, c := range chunks(pPaused+code, r.Paused) {
			w.fields = append(w.fields, c[0], c[1])
		}
	default:
		at := millis(r.Next)
		w.indexAt, w.score = b62(at), strconv.FormatInt(at, 10)
		if r.Attempts != 0 || at != r.Next.UnixMilli() {
			w.fields = append(w.fields, pState+code, "b"+w.indexAt+"|"+itoa(r.Attempts))
		}
	}
	return w
}

// decodeSpec reads the spec field of a reminder; Paused and Attempts live
// in other fields.
func decodeSpec(id bot.UserID, code, spec string) (bot.Reminder, error) {
	kind, err := kindOfCode(code)
	if err != nil {
		return bot.Reminder{}, err
	}
	items := split('|', spec)
	r := bot.Reminder{User: id, Kind: kind}
	var ok bool
	if r.Zone, ok = expandZone(item(items, 2)); !ok {
		return bot.Reminder{}, fmt.Errorf("reminder %s %s: bad zone %q", id, kind, item(items, 2))
	}
	if r.At, err = expandClock(item(items, 1)); err != nil {
		return bot.Reminder{}, fmt.Errorf("reminder %s %s: %w", id, kind, err)
	}
	if r.Next, err = parseMS(item(items, 0)); err != nil {
		return bot.Reminder{}, fmt.Errorf("reminder %s %s: next: %w", id, kind, err)
	}
	if d := item(items, 3); d != "" {
		days, err := strconv.ParseUint(d, 36, 8)
		if err != nil {
			return bot.Reminder{}, fmt.Errorf("reminder %s %s: bad days %q", id, kind, d)
		}
		r.Days = bot.Weekdays(days)
	}
	if r.Created, err = parseMS(item(items, 4)); err != nil {
		return bot.Reminder{}, fmt.Errorf("reminder %s %s: created: %w", id, kind, err)
	}
	return r, nil
}

// state is the decoded state field of a reminder.
type state struct {
	pos      string // "" (the bucket of Next), "-" (no bucket: paused), "b<base-62 ms>" (another bucket)
	attempts int
}

func decodeState(s string) (state, error) {
	if s == "" {
		return state{}, nil
	}
	pos, att, _ := strings.Cut(s, "|")
	n, err := atoi(att)
	if err != nil || pos == "" {
		return state{}, fmt.Errorf("bad reminder state %q", s)
	}
	return state{pos: pos, attempts: n}, nil
}

// decodeReminders reads every reminder out of a user's hash fields,
// ordered by Kind as bot.Store promises.
func decodeReminders(id bot.UserID, fields map[string]string) ([]bot.Reminder, error) {
	var out []bot.Reminder
	for name, spec := range fields {
		if !strings.HasPrefix(name, pSpec) {
			continue
		}
		code := name[len(pSpec):]
		r, err := decodeSpec(id, code, spec)
		if err != nil {
			return nil, err
		}
		st, err := decodeState(fields[pState+code])
		if err != nil {
			return nil, fmt.Errorf("reminder %s %s: %w", id, r.Kind, err)
		}
		r.Attempts = st.attempts
		r.Paused = unchunk(fields, pPaused+code)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, nil
}

// hasMarker reports whether the marker field lists the occurrence due.
func hasMarker(markers string, due time.Time) bool {
	id := markerID(due)
	for m := range strings.SplitSeq(markers, ",") {
		if m == id {
			return true
		}
	}
	return false
}
