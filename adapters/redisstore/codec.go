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
// of the memory a user costs: short field names, times as base-36 Unix
// milliseconds, lists joined with separators.

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
	fUser   = "u"  // created|updated|zone|streak last|current|best|days (chunked)
	fDone   = "ud" // finished roadmap steps, comma-separated (chunked)
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

// member names a reminder in the index: the user id (which never holds a
// NUL) and the kind code.
func member(id bot.UserID, code string) string { return string(id) + "\x00" + code }

// millis clamps times before 1970 to 0, as the index keeps no negative
// times.
func millis(t time.Time) int64 { return max(t.UnixMilli(), 0) }

// ms36 writes a time as base-36 Unix milliseconds (8 characters until the
// year 2059), "" for the zero time.
func ms36(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 36)
}

func parse36(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(s, 36, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// markerID is how an occurrence is named in the marker field.
func markerID(due time.Time) string { return strconv.FormatInt(millis(due), 36) }

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

// userFields encodes the user record as hash fields. A user the store has
// written always has the "u" field (Created is set), so its presence is
// what tells a known user from an unknown one.
func userFields(u bot.User) map[string]string {
	f := map[string]string{}
	rec := join('|', trimEmpty([]string{
		ms36(u.Created), ms36(u.Updated), u.Zone,
		u.Streak.Last, itoa(u.Streak.Current), itoa(u.Streak.Best), itoa(u.Streak.Days),
	})...)
	for _, c := range chunks(fUser, rec) {
		f[c[0]] = c[1]
	}
	if len(u.Done) > 0 {
		for _, c := range chunks(fDone, join(',', u.Done...)) {
			f[c[0]] = c[1]
		}
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
	if u.Created, err = parse36(item(items, 0)); err != nil {
		return bot.User{}, fmt.Errorf("user %s: created: %w", id, err)
	}
	if u.Updated, err = parse36(item(items, 1)); err != nil {
		return bot.User{}, fmt.Errorf("user %s: updated: %w", id, err)
	}
	u.Zone = item(items, 2)
	u.Streak.Last = item(items, 3)
	var errs []error
	for i, p := range []*int{&u.Streak.Current, &u.Streak.Best, &u.Streak.Days} {
		n, err := atoi(item(items, 4+i))
		errs = append(errs, err)
		*p = n
	}
	if err := errors.Join(errs...); err != nil {
		return bot.User{}, fmt.Errorf("user %s: streak: %w", id, err)
	}
	if d := unchunk(fields, fDone); d != "" {
		u.Done = split(',', d)
	}
	u.Notice = unchunk(fields, fNotice)
	return u, nil
}

// reminderWrite is what PutReminder and Ack hand the scripts for one
// reminder: the fields to set, and where to index it.
type reminderWrite struct {
	fields  []string // field, value, field, value, ...
	indexAt string   // Unix ms of the due bucket to enter it in; "" for none (paused)
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
	spec := join('|', trimEmpty([]string{ms36(r.Next), r.At, r.Zone, days, ms36(r.Created)})...)
	w := reminderWrite{fields: []string{pSpec + code, spec}}
	switch {
	case r.Paused != "":
		w.fields = append(w.fields, pState+code, "-|"+itoa(r.Attempts)+"|")
		for _, c := range chunks(pPaused+code, r.Paused) {
			w.fields = append(w.fields, c[0], c[1])
		}
	default:
		at := millis(r.Next)
		w.indexAt = strconv.FormatInt(at, 10)
		if r.Attempts != 0 || at != r.Next.UnixMilli() {
			w.fields = append(w.fields, pState+code, "b"+w.indexAt+"|"+itoa(r.Attempts)+"|")
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
	r := bot.Reminder{User: id, Kind: kind, At: item(items, 1), Zone: item(items, 2)}
	if r.Next, err = parse36(item(items, 0)); err != nil {
		return bot.Reminder{}, fmt.Errorf("reminder %s %s: next: %w", id, kind, err)
	}
	if d := item(items, 3); d != "" {
		days, err := strconv.ParseUint(d, 36, 8)
		if err != nil {
			return bot.Reminder{}, fmt.Errorf("reminder %s %s: bad days %q", id, kind, d)
		}
		r.Days = bot.Weekdays(days)
	}
	if r.Created, err = parse36(item(items, 4)); err != nil {
		return bot.Reminder{}, fmt.Errorf("reminder %s %s: created: %w", id, kind, err)
	}
	return r, nil
}

// state is the decoded state field of a reminder.
type state struct {
	pos      string // "" (the bucket of Next), "-" (in no index), "b<ms>" (a bucket), "l<ms>" (leased until)
	attempts int
	token    string
}

func decodeState(s string) (state, error) {
	if s == "" {
		return state{}, nil
	}
	parts := strings.SplitN(s, "|", 3)
	if len(parts) != 3 {
		return state{}, fmt.Errorf("bad reminder state %q", s)
	}
	n, err := atoi(parts[1])
	if err != nil {
		return state{}, fmt.Errorf("bad attempts in reminder state %q", s)
	}
	return state{pos: parts[0], attempts: n, token: parts[2]}, nil
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
