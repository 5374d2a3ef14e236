package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMain lets the test binary be its own baseline server: Run starts
// "<self> baseline …" as a child process, and self is this binary in tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		os.Exit(cli(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// testSeed is a fixed Ed25519 seed, so that keys in tests are stable.
var testSeed = bytes.Repeat([]byte{7}, ed25519.SeedSize)

func TestParseFlags(t *testing.T) {
	key := ed25519.NewKeyFromSeed(testSeed)
	def := DefaultConfig()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(*Config) // changes to the default
		wantErr string
	}{
		{name: "slack from the environment", env: map[string]string{envSlackSecret: "s3cret"},
			want: func(c *Config) { c.SlackSecret = "s3cret" }},
		{name: "flags win over the environment", args: []string{"-slack-secret", "flag", "-c", "8", "-d", "2s", "-users", "500", "-rounds", "3", "-order", "coachbot"},
			env: map[string]string{envSlackSecret: "env"},
			want: func(c *Config) {
				c.SlackSecret, c.Concurrency, c.Duration, c.Users, c.Rounds, c.CoachbotFirst = "flag", 8, 2*time.Second, 500, 3, true
			}},
		{name: "commands are trimmed and empty ones dropped", args: []string{"-slack-secret", "s", "-commands", " salary  mid , ,tip,"},
			want: func(c *Config) { c.SlackSecret, c.Commands = "s", []string{"salary mid", "tip"} }},
		{name: "discord seed from the environment", args: []string{"-platform", "discord"}, env: map[string]string{envDiscordKey: hex.EncodeToString(testSeed)},
			want: func(c *Config) { c.Platform, c.DiscordKey = "discord", key }},
		{name: "discord private key", args: []string{"-platform", "discord", "-discord-key", hex.EncodeToString(key)},
			want: func(c *Config) { c.Platform, c.DiscordKey = "discord", key }},
		{name: "no slack secret", wantErr: "signing secret is missing"},
		{name: "no discord key", args: []string{"-platform", "discord"}, wantErr: "Discord key is missing"},
		{name: "bad discord key", args: []string{"-platform", "discord", "-discord-key", "abcd"}, wantErr: "2 bytes"},
		{name: "unknown platform", args: []string{"-platform", "teams", "-slack-secret", "s"}, wantErr: "want slack or discord"},
		{name: "bad order", args: []string{"-order", "random", "-slack-secret", "s"}, wantErr: "-order"},
		{name: "no users", args: []string{"-users", "0", "-slack-secret", "s"}, wantErr: "-users"},
		{name: "stray argument", args: []string{"-slack-secret", "s", "extra"}, wantErr: "unexpected argument"},
		{name: "slack itself", args: []string{"-slack-secret", "s", "-url", "https://hooks.slack.com"}, wantErr: "slack.com itself"},
		{name: "discord itself", args: []string{"-platform", "discord", "-discord-key", hex.EncodeToString(testSeed), "-url", "https://discord.com/api/v10"}, wantErr: "discord.com itself"},
		{name: "not a URL", args: []string{"-slack-secret", "s", "-url", "127.0.0.1:8080"}, wantErr: "-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envSlackSecret, tt.env[envSlackSecret])
			t.Setenv(envDiscordKey, tt.env[envDiscordKey])
			var stderr bytes.Buffer
			got, err := parseFlags(tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := def
			want.Commands = append([]string(nil), def.Commands...)
			tt.want(&want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("config differs (-want +got):\n%s", d)
			}
		})
	}
}

// TestHelpShowsNoSecret: the secrets' defaults come from the environment,
// and -h must not print them.
func TestHelpShowsNoSecret(t *testing.T) {
	t.Setenv(envSlackSecret, "do-not-print-me")
	t.Setenv(envDiscordKey, hex.EncodeToString(testSeed))
	var stdout, stderr bytes.Buffer
	if code := cli(context.Background(), []string{"-h"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	help := stderr.String()
	for _, secret := range []string{"do-not-print-me", hex.EncodeToString(testSeed)} {
		if strings.Contains(help, secret) {
			t.Errorf("-h prints a secret:\n%s", help)
		}
	}
	for _, want := range []string{"never talks to Slack or Discord", "loopback", "coachload keygen", "-rounds"} {
		if !strings.Contains(help, want) {
			t.Errorf("-h does not say %q", want)
		}
	}
}

func TestKeygen(t *testing.T) {
	var out bytes.Buffer
	if code := cli(context.Background(), []string{"keygen"}, nil, &out, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	vars := map[string]string{}
	for line := range strings.Lines(out.String()) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			t.Fatalf("not an assignment: %q", line)
		}
		vars[k] = v
	}
	pub, err := hex.DecodeString(vars["COACH_DISCORD_PUBLIC_KEY"])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("COACH_DISCORD_PUBLIC_KEY=%q is not a hex public key", vars["COACH_DISCORD_PUBLIC_KEY"])
	}
	priv, err := parseDiscordKey(vars["COACHLOAD_DISCORD_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(pub)) {
		t.Error("the two lines are not one key pair")
	}
}

func TestParseDiscordKey(t *testing.T) {
	key := ed25519.NewKeyFromSeed(testSeed)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	mismatched := append(append([]byte{}, key.Seed()...), other.Public().(ed25519.PublicKey)...)
	tests := []struct {
		name, in string
		wantErr  string
	}{
		{"seed", hex.EncodeToString(testSeed), ""},
		{"seed with a newline", hex.EncodeToString(testSeed) + "\n", ""},
		{"private key", hex.EncodeToString(key), ""},
		{"not hex", "zz", "not hex"},
		{"wrong length", "abcdef", "3 bytes"},
		{"halves of two keys", hex.EncodeToString(mismatched), "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDiscordKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(key) {
				t.Error("a different key")
			}
		})
	}
}

// TestMix: users take turns, and each user goes through the command lines.
func TestMix(t *testing.T) {
	m := &mix{lines: []string{"a", "b", "c"}, users: 3}
	type pick struct {
		User uint64
		Line int
	}
	var got []pick
	perUser := map[uint64][]int{}
	for seq := range uint64(9) {
		u, l := m.pick(seq)
		got = append(got, pick{u, l})
		perUser[u] = append(perUser[u], l)
	}
	want := []pick{{0, 0}, {1, 1}, {2, 2}, {0, 1}, {1, 2}, {2, 0}, {0, 2}, {1, 0}, {2, 1}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("picks differ (-want +got):\n%s", d)
	}
	for u, lines := range perUser {
		if d := cmp.Diff([]int{0, 1, 2}, slices.Sorted(slices.Values(lines))); d != "" {
			t.Errorf("user %d did not send every line once: %v", u, lines)
		}
	}
}
