package bot_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// typicalUser is the user the memory targets are stated for: three steps
// done, a streak, a zone and a daily reminder.
func typicalUser() bot.User {
	at := time.Date(2026, 11, 23, 9, 15, 42, 123e6, time.UTC)
	return bot.User{
		ID:     "discord:123456789012345678",
		Done:   []string{"internet", "languages", "version-control"},
		Streak: bot.Streak{Last: "2026-11-23", Current: 5, Best: 9, Days: 21},
		Zone:   "Asia/Kolkata",
		Reminders: []bot.Reminder{{
			User: "discord:123456789012345678", Kind: bot.Daily, At: "19:00", Zone: "Asia/Kolkata",
			Days: bot.WorkDays, Next: at.Add(4 * time.Hour).Truncate(time.Minute), Created: at,
		}},
		Created: at.Add(-30 * 24 * time.Hour),
		Updated: at,
	}
}

func TestRecordRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		u    bot.User
	}{
		{"every field", storetest.Filled("slack:T1:U1")},
		{"typical", typicalUser()},
		{"unknown user", bot.User{ID: "console:ana"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := bot.EncodeUser(c.u)
			got, err := bot.DecodeUser(c.u.ID, b)
			if err != nil {
				t.Fatalf("DecodeUser: %v", err)
			}
			if diff := cmp.Diff(c.u, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if again := bot.EncodeUser(got); string(again) != string(b) {
				t.Errorf("encoding is not stable:\n%x\n%x", b, again)
			}
		})
	}
}

// TestRecordReadsVersion1 keeps a record of format version 1 in testdata:
// a later change of the format that cannot read it fails here.
func TestRecordReadsVersion1(t *testing.T) {
	path := filepath.Join("testdata", "record-v1.hex")
	want := storetest.Filled("discord:1")
	if *update {
		if err := os.WriteFile(path, []byte(hex.EncodeToString(bot.EncodeUser(want))+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := bot.DecodeUser("discord:1", b)
	if err != nil {
		t.Fatalf("DecodeUser of the version 1 record: %v", err)
	}
	if !*update {
		// Fields added after the fixture was written read as zero from it.
		want.TipsShown = 0
		want.Topics, want.Checkins, want.Plan, want.Cards = nil, bot.CheckinLog{}, bot.Plan{}, nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("version 1 record (-want +got):\n%s", diff)
	}
}

func TestRecordRefusesNewer(t *testing.T) {
	good := bot.EncodeUser(typicalUser())
	cases := []struct {
		name string
		data []byte
	}{
		{"newer version", append([]byte{2}, good[1:]...)},
		// Field 99 of User: written by a release that added a field.
		{"unknown field", append([]byte{1, 99, 0}, good[1:]...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := bot.DecodeUser("discord:1", c.data); !errors.Is(err, bot.ErrNewerRecord) {
				t.Errorf("DecodeUser = %v, want ErrNewerRecord", err)
			}
		})
	}
}

func TestRecordRefusesDamage(t *testing.T) {
	good := bot.EncodeUser(typicalUser())
	cases := map[string][]byte{
		"cut short":      good[:len(good)/2],
		"trailing bytes": append(good[:len(good):len(good)], 0, 0),
		"huge count":     {1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, data := range cases {
		if _, err := bot.DecodeUser("discord:1", data); err == nil || errors.Is(err, bot.ErrNewerRecord) {
			t.Errorf("%s: DecodeUser = %v, want a damage error", name, err)
		}
	}
}

func FuzzDecodeUser(f *testing.F) {
	f.Add(bot.EncodeUser(typicalUser()))
	f.Add(bot.EncodeUser(storetest.Filled("discord:1")))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := bot.DecodeUser("discord:1", data)
		if err != nil {
			return
		}
		// Whatever decodes encodes to a record that decodes the same.
		again, err := bot.DecodeUser("discord:1", bot.EncodeUser(u))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if diff := cmp.Diff(u, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// jsonUser is what the record would be as encoding/json with one-letter
// names: the alternative the codec was measured against.
type jsonUser struct {
	D []string `json:"d,omitempty"`
	S struct {
		L          string `json:"l,omitempty"`
		C, B, Days int
	} `json:"s"`
	Z string `json:"z,omitempty"`
	R []struct {
		K, A, Z string
		D       int
		N, C    int64
	} `json:"r,omitempty"`
	C, U int64
}

func toJSONUser(u bot.User) jsonUser {
	var j jsonUser
	j.D, j.Z, j.C, j.U = u.Done, u.Zone, u.Created.UnixMilli(), u.Updated.UnixMilli()
	j.S.L, j.S.C, j.S.B, j.S.Days = u.Streak.Last, u.Streak.Current, u.Streak.Best, u.Streak.Days
	for _, r := range u.Reminders {
		j.R = append(j.R, struct {
			K, A, Z string
			D       int
			N, C    int64
		}{string(r.Kind), r.At, r.Zone, int(r.Days), r.Next.UnixMilli(), r.Created.UnixMilli()})
	}
	return j
}

// BenchmarkRecordCodec measures the codec against encoding/json with
// one-letter names on the typical user, and reports the bytes of each.
func BenchmarkRecordCodec(b *testing.B) {
	u := typicalUser()
	rec := bot.EncodeUser(u)
	js, _ := json.Marshal(toJSONUser(u))
	b.Run("codec", func(b *testing.B) {
		for b.Loop() {
			if _, err := bot.DecodeUser(u.ID, bot.EncodeUser(u)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(rec)), "bytes/record")
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			out, _ := json.Marshal(toJSONUser(u))
			var j jsonUser
			if err := json.Unmarshal(out, &j); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(js)), "bytes/record")
	})
}
