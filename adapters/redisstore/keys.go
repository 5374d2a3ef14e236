package redisstore

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/coachbot/coachbot/bot"
)

// This file names keys and index members (see doc.go for the layout).

// shard returns the shard of a user: FNV-1a of the id, so that every
// replica agrees without asking Redis.
func (s *Store) shard(id bot.UserID) int {
	h := fnv.New32a()
	_, _ = io.WriteString(h, string(id))
	return int(h.Sum32() % uint32(len(s.prefixes)))
}

// userKeys returns the prefix of the user's shard, the user's short id and
// the key of their record.
func (s *Store) userKeys(id bot.UserID) (prefix, short, record string) {
	prefix = s.prefixes[s.shard(id)]
	short = shortID(id)
	return prefix, short, prefix + "r:" + short
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

// kindCode returns the short code of a reminder kind used in index
// members. Daily and Once get one letter; any other (Weekly too) is
// hex-encoded behind "_", so that a code never holds a NUL.
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

// parseMember undoes member.
func parseMember(m string) (bot.UserID, bot.ReminderKind, error) {
	short, code, ok := strings.Cut(m, "\x00")
	if !ok {
		return "", "", fmt.Errorf("bad index member %s", keyPseudonym(m))
	}
	id, err := longID(short)
	if err != nil {
		return "", "", err
	}
	kind, err := kindOfCode(code)
	return id, kind, err
}

// platformCodes shorten the platform part of a user id in keys and index
// members: "discord:1234" is stored as "d:1234". A user's key and index
// entry are much of what a user costs besides the record itself, and these
// 6 or 7 bytes take the key into a smaller allocation. An id of any other
// platform is kept whole behind "=".
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
	return "", fmt.Errorf("bad short user id %s", keyPseudonym(short))
}

// keyPseudonym names a key or index member in an error that goes to the
// log: it holds a user id, so only its pseudonym is shown.
func keyPseudonym(key string) string { return "#" + bot.HashUser(bot.UserID(key)) }

// millis clamps times before 1970 to 0: the index keeps no negative times.
func millis(t time.Time) int64 { return max(t.UnixMilli(), 0) }

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b)
}
