package boltstore

import (
	"bytes"
	"context"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/coachbot/coachbot/bot"
)

// bucketInstallations keeps bot.Installations: <team> → the sealed bytes.
// It is made by the first PutInstallation, so files of layout 2 written
// before it existed need no migration: no bucket reads as no installation.
var bucketInstallations = []byte("installations")

var _ bot.Installations = (*Store)(nil)

// Installation implements bot.Installations.
func (s *Store) Installation(ctx context.Context, team string) ([]byte, error) {
	if err := bot.ValidateTeam(team); err != nil {
		return nil, err
	}
	var v []byte
	err := s.view(ctx, "read installation", func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketInstallations); b != nil {
			v = slices.Clone(b.Get([]byte(team))) // bbolt's bytes live only in the transaction
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, bot.ErrNoInstallation
	}
	return v, nil
}

// PutInstallation implements bot.Installations.
func (s *Store) PutInstallation(ctx context.Context, team string, sealed []byte) error {
	if err := bot.ValidateTeam(team); err != nil {
		return err
	}
	return s.update(ctx, "write installation", func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketInstallations)
		if err != nil {
			return err
		}
		return b.Put([]byte(team), slices.Clone(sealed))
	})
}

// DeleteInstallation implements bot.Installations.
func (s *Store) DeleteInstallation(ctx context.Context, team string) error {
	if err := bot.ValidateTeam(team); err != nil {
		return err
	}
	return s.update(ctx, "delete installation", func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketInstallations); b != nil {
			return b.Delete([]byte(team))
		}
		return nil
	})
}

// UsersWithPrefix implements bot.Installations by a prefix scan of the
// records bucket: every user the store keeps anything about has a record
// (a reminder, a dead letter and a cached DM channel live in it or are
// written only for a user who has one).
func (s *Store) UsersWithPrefix(ctx context.Context, prefix string) ([]bot.UserID, error) {
	if err := bot.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	var out []bot.UserID
	err := s.view(ctx, "list users", func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			out = append(out, bot.UserID(k))
		}
		return nil
	})
	return out, err
}
