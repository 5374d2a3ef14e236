package redistest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/coachbot/coachbot/adapters/redisstore/redistest"
)

// TestKillRestart: what a KeepAcknowledged server acknowledged before a
// SIGKILL is back after Restart, from the append-only file, on the same
// address.
func TestKillRestart(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t, redistest.KeepAcknowledged())
	if want := "redis://" + srv.Addr(); srv.URL() != want {
		t.Errorf("URL() = %q, want %q", srv.URL(), want)
	}
	c := srv.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered after Kill")
	}
	srv.Restart()
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("after Restart GET k = %q, %v; want the value written before the kill", got, err)
	}
}

func TestCluster(t *testing.T) {
	ctx := context.Background()
	cl := redistest.StartCluster(t, 3)
	if n := len(cl.Addrs()); n != 3 {
		t.Fatalf("%d addresses, want 3", n)
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()})
	defer c.Close()
	// Keys spread over the slots land on every master.
	for i := range 100 {
		if err := c.Set(ctx, fmt.Sprint("key-", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range cl.Nodes() {
		info := n.Client().ClusterInfo(ctx).Val()
		if !strings.Contains(info, "cluster_state:ok") {
			t.Errorf("node %s: %s", n.Addr(), info)
		}
		if size := n.Client().DBSize(ctx).Val(); size == 0 {
			t.Errorf("node %s holds no key of 100", n.Addr())
		}
	}
}
