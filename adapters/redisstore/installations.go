package redisstore

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/bot"
)

// instPrefix names bot.Installations' keys: coachbot:inst:<team>, a string
// holding the sealed (encrypted) installation. Each call touches one key,
// so a Cluster serves it from any slot; team ids are letters and digits
// (bot.ValidateTeam), so they need no escaping.
const instPrefix = "coachbot:inst:"

var _ bot.Installations = (*Store)(nil)

// Installation implements bot.Installations.
func (s *Store) Installation(ctx context.Context, team string) ([]byte, error) {
	if err := bot.ValidateTeam(team); err != nil {
		return nil, err
	}
	ctx, cancel, err := s.begin(ctx, "read installation")
	if err != nil {
		return nil, err
	}
	defer cancel()
	v, err := s.rdb.Get(ctx, instPrefix+team).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, bot.ErrNoInstallation
	}
	if err != nil {
		return nil, s.fail("read installation", err)
	}
	return v, nil
}

// PutInstallation implements bot.Installations.
func (s *Store) PutInstallation(ctx context.Context, team string, sealed []byte) error {
	if err := bot.ValidateTeam(team); err != nil {
		return err
	}
	ctx, cancel, err := s.begin(ctx, "write installation")
	if err != nil {
		return err
	}
	defer cancel()
	if err := s.rdb.Set(ctx, instPrefix+team, sealed, 0).Err(); err != nil {
		return s.fail("write installation", err)
	}
	return nil
}

// DeleteInstallation implements bot.Installations.
func (s *Store) DeleteInstallation(ctx context.Context, team string) error {
	if err := bot.ValidateTeam(team); err != nil {
		return err
	}
	ctx, cancel, err := s.begin(ctx, "delete installation")
	if err != nil {
		return err
	}
	defer cancel()
	if err := s.rdb.Del(ctx, instPrefix+team).Err(); err != nil {
		return s.fail("delete installation", err)
	}
	return nil
}

// UsersWithPrefix implements bot.Installations by SCAN on every master:
// the users with a record ({c<s>}:r:<short id>) or a command bucket
// ({c<s>}:rate:<short id>, which a user who never wrote a record can
// have) whose id begins with prefix. An uninstall is rare, and a SCAN
// needs no per-workspace list that every write would have to keep right.
// It is not bounded by the 2 s of one call: a big keyspace takes longer.
func (s *Store) UsersWithPrefix(ctx context.Context, prefix string) ([]bot.UserID, error) {
	if err := bot.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, s.fail("list users", err)
	}
	short := shortID(bot.UserID(prefix))
	seen := map[bot.UserID]bool{}
	var out []bot.UserID
	for _, kind := range []string{"r:", "rate:"} {
		err := s.scan(ctx, "{c*}:"+kind+escapeGlob(short)+"*", func(key string) {
			_, rest, ok := s.parseKey(key)
			if !ok || !strings.HasPrefix(rest, kind+short) {
				return
			}
			id, err := longID(strings.TrimPrefix(rest, kind))
			if err != nil || seen[id] {
				return
			}
			seen[id] = true
			out = append(out, id)
		})
		if err != nil {
			return nil, s.fail("list users", err)
		}
	}
	return out, nil
}

// escapeGlob quotes the characters SCAN's MATCH pattern gives a meaning.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`\*?[]`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
