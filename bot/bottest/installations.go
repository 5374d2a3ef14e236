package bottest

import (
	"context"
	"slices"
	"strings"

	"github.com/coachbot/coachbot/bot"
)

var _ bot.Installations = (*MemStore)(nil)

// Installation implements bot.Installations.
func (s *MemStore) Installation(ctx context.Context, team string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, bot.ValidateTeam(team)); err != nil {
		return nil, err
	}
	b, ok := s.inst[team]
	if !ok {
		return nil, bot.ErrNoInstallation
	}
	return slices.Clone(b), nil
}

// PutInstallation implements bot.Installations.
func (s *MemStore) PutInstallation(ctx context.Context, team string, sealed []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, bot.ValidateTeam(team)); err != nil {
		return err
	}
	s.inst[team] = slices.Clone(sealed)
	return nil
}

// DeleteInstallation implements bot.Installations.
func (s *MemStore) DeleteInstallation(ctx context.Context, team string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, bot.ValidateTeam(team)); err != nil {
		return err
	}
	delete(s.inst, team)
	return nil
}

// UsersWithPrefix implements bot.Installations: users with a record or a
// reminder in the index.
func (s *MemStore) UsersWithPrefix(ctx context.Context, prefix string) ([]bot.UserID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, bot.ValidatePrefix(prefix)); err != nil {
		return nil, err
	}
	seen := map[bot.UserID]bool{}
	for id := range s.records {
		seen[id] = true
	}
	for k := range s.index {
		seen[k.user] = true
	}
	var out []bot.UserID
	for id := range seen {
		if strings.HasPrefix(string(id), prefix) {
			out = append(out, id)
		}
	}
	return out, nil
}
