package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// readyWithin bounds the wait for a server to answer PING (and, after a
	// restart, to finish loading its append-only file). Generous: a loaded
	// CI machine may be slow, and this is never a measurement.
	readyWithin = 20 * time.Second
	// clusterReadyWithin bounds the wait for every node of a new Cluster to
	// report cluster_state:ok.
	clusterReadyWithin = 30 * time.Second
	// startTries is how often Start picks another port when the one it
	// picked was taken between the check and redis-server's bind.
	startTries = 5
)

// msgMissing says how to get a test that needs Redis to run.
const msgMissing = "redis-server not found: install it (apt-get install redis-server redis-tools) or set " + envURL

// Option changes how Start runs redis-server.
type Option func(*config)

type config struct {
	args []string
}

// Args adds arguments to the redis-server command line, after the defaults,
// so that they override them: Args("--appendfsync", "always").
func Args(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// KeepAcknowledged makes the server write and fsync every change to its
// append-only file before it answers (appendfsync always), so that Kill
// loses nothing it acknowledged. Tests that kill Redis and then look for
// what they wrote before need it; others are faster without it.
func KeepAcknowledged() Option { return Args("--appendfsync", "always") }

// Server is one Redis server for a test.
type Server struct {
	t        testing.TB
	bin      string
	dir      string
	port     int
	args     []string
	external string // COACH_TEST_REDIS_URL, when the server is not ours

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	client *redis.Client
}

// Start starts redis-server on a free loopback port in a fresh t.TempDir(),
// with the append-only file on (fsync every second) and RDB snapshots off,
// waits until it answers PING and registers a cleanup that kills it.
//
// With COACH_TEST_REDIS_URL set it starts nothing: it wipes that server
// with FLUSHALL and returns it; Kill and Restart then skip the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if u := externalURL(); u != "" {
		return useExternal(t, u)
	}
	bin := lookPath(t, "redis-server", msgMissing)
	return startNode(t, bin, cfg.args, false)
}

// startNode starts one server of ours. cluster asks for a port whose
// cluster bus port (port+10000) is free too.
func startNode(t testing.TB, bin string, extra []string, cluster bool) *Server {
	t.Helper()
	s := &Server{t: t, bin: bin, dir: t.TempDir(), args: extra}
	t.Cleanup(s.stop)
	var err error
	for range startTries {
		s.port = freePort(t, cluster)
		if err = s.launch(); err == nil {
			return s
		}
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	t.Fatalf("redistest: start redis-server: %v", err)
	return nil
}

func useExternal(t testing.TB, raw string) *Server {
	t.Helper()
	opt, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("redistest: %s is not a redis:// URL: %v", envURL, err)
	}
	s := &Server{t: t, external: raw}
	s.client = redis.NewClient(opt)
	t.Cleanup(func() { s.client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), readyWithin)
	defer cancel()
	if err := s.client.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("redistest: FLUSHALL on %s (%s): %v", opt.Addr, envURL, err)
	}
	return s
}

// Addr returns the server's host:port.
func (s *Server) Addr() string {
	if s.external != "" {
		return s.client.Options().Addr
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Port returns the server's port (0 for a COACH_TEST_REDIS_URL server).
func (s *Server) Port() int { return s.port }

// URL returns the server as a redis:// URL.
func (s *Server) URL() string {
	if s.external != "" {
		return s.external
	}
	return (&url.URL{Scheme: "redis", Host: s.Addr()}).String()
}

// Client returns a plain go-redis client of the server, for a test to
// inspect or change what a store wrote. It is closed by the test's cleanup.
func (s *Server) Client() *redis.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		s.client = redis.NewClient(&redis.Options{Addr: s.Addr()})
	}
	return s.client
}

// Kill stops the server with SIGKILL, as a crash would, and waits for it to
// exit. With the default appendfsync everysec a crash may lose what the
// server acknowledged last, as in production: while a background fsync is
// slow (a busy disk), Redis holds new changes in memory for up to 2
// seconds before it writes them to the append-only file, and answers
// meanwhile. A test that needs every acknowledged change back after
// Restart starts its server with KeepAcknowledged.
func (s *Server) Kill() {
	s.t.Helper()
	if s.external != "" {
		s.t.Skip("redistest: the test kills its Redis, which it cannot do to " + envURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
}

func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL) // also ends a paused server
	<-s.exited
	s.cmd = nil
}

// Pause stops the server with SIGSTOP: it keeps its connections and its
// port, and answers nothing, as a hung or partitioned Redis does. Resume
// undoes it.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP, "pauses") }

// Resume continues a paused server with SIGCONT.
func (s *Server) Resume() { s.signal(syscall.SIGCONT, "resumes") }

func (s *Server) signal(sig syscall.Signal, what string) {
	s.t.Helper()
	if s.external != "" {
		s.t.Skip("redistest: the test " + what + " its Redis, which it cannot do to " + envURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Restart starts the server again on the same port and folder, killing it
// first if it runs, and waits until it has loaded its append-only file and
// answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	if s.external != "" {
		s.t.Skip("redistest: the test restarts its Redis, which it cannot do to " + envURL)
	}
	s.mu.Lock()
	s.kill()
	s.mu.Unlock()
	if err := s.launch(); err != nil {
		s.t.Fatalf("redistest: restart redis-server: %v", err)
	}
}

// stop is the cleanup: kill the server and close the client.
func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
	if s.client != nil && s.external == "" {
		s.client.Close()
		s.client = nil
	}
}

// launch runs redis-server on s.port and waits until it answers.
func (s *Server) launch() error {
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--appendonly", "yes",
		"--appendfsync", "everysec",
		"--save", "",
		"--daemonize", "no",
		"--logfile", "",
	}
	args = append(args, s.args...)
	logPath := filepath.Join(s.dir, "redis.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	if err := waitReady(s.Addr(), exited); err != nil {
		s.mu.Lock()
		s.kill()
		s.mu.Unlock()
		return fmt.Errorf("%w\n%s", err, tail(logPath))
	}
	return nil
}

// waitReady pings addr until it answers, the process exits or readyWithin
// passes. LOADING (the append-only file is being read) counts as not ready.
func waitReady(addr string, exited <-chan struct{}) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(readyWithin)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("redis-server exited before it answered PING")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer PING within %s: %v", addr, readyWithin, err)
}

// tail returns the end of a log file, to explain a failed start.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}

// freePort picks a loopback port that is free now (and, for a cluster node,
// whose bus port, port+10000, is free too). It picks from below 55536 so
// that the bus port exists; redis-server may still lose a race for it, which
// startNode handles by trying another.
func freePort(t testing.TB, cluster bool) int {
	t.Helper()
	for range 1000 {
		p := 20000 + rand.IntN(35000)
		if !portFree(p) || cluster && !portFree(p+10000) {
			continue
		}
		return p
	}
	t.Fatal("redistest: found no free loopback port")
	return 0
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// lookPath finds a program or skips (or, with COACH_TEST_REQUIRE_REDIS=1,
// fails) the test with msg.
func lookPath(t testing.TB, name, msg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if redisRequired() {
		t.Fatalf("%s (%s=1 makes this a failure)", msg, envRequire)
	}
	t.Skip(msg)
	return ""
}

// Cluster is a Redis Cluster of masters without replicas, for tests.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts masters (at least 3) redis-server processes with
// cluster mode on, joins them with redis-cli --cluster create, and waits
// until every node reports cluster_state:ok. COACH_TEST_REDIS_URL does not
// apply: a Cluster is always started here.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("redistest: a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	bin := lookPath(t, "redis-server", msgMissing)
	cli := lookPath(t, "redis-cli", "redis-cli not found: install it (apt-get install redis-tools) to run the Redis Cluster tests")
	c := &Cluster{}
	clusterArgs := []string{
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "5000",
	}
	for range masters {
		c.nodes = append(c.nodes, startNode(t, bin, clusterArgs, true))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), clusterReadyWithin)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitOK(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return c
}

// waitOK waits until every node says cluster_state:ok and knows every other.
func (c *Cluster) waitOK() error {
	deadline := time.Now().Add(clusterReadyWithin)
	want := fmt.Sprintf("cluster_known_nodes:%d", len(c.nodes))
	for _, n := range c.nodes {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			info, err := n.Client().ClusterInfo(ctx).Result()
			cancel()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, want) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("cluster node %s not ready within %s: %v\n%s", n.Addr(), clusterReadyWithin, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// Addrs returns the host:port of every master.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Nodes returns the masters, to inspect one or kill it.
func (c *Cluster) Nodes() []*Server { return c.nodes }

// SentinelMaster is the master name the Sentinel of StartSentinel watches:
// what COACH_REDIS_MASTER names.
const SentinelMaster = "coachbot"

// Sentinel is a Redis master watched by one Sentinel, the smallest
// topology that exercises coachbot's Sentinel mode: clients ask the
// Sentinel where the master is, then talk to the master.
type Sentinel struct {
	master *Server
	port   int
}

// StartSentinel starts a master (as Start does) and a Sentinel watching it
// under SentinelMaster, and waits until the Sentinel names the master.
// COACH_TEST_REDIS_URL does not apply.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	bin := lookPath(t, "redis-server", msgMissing)
	s := &Sentinel{master: startNode(t, bin, nil, false)}
	dir := t.TempDir()
	// Sentinel rewrites its config file as it learns, so it gets its own.
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 5000\n",
		SentinelMaster, s.master.port, SentinelMaster)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	for range startTries {
		s.port = freePort(t, false)
		if err = s.launch(t, bin, conf, dir); err == nil {
			return s
		}
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	t.Fatalf("redistest: start redis-server --sentinel: %v", err)
	return nil
}

func (s *Sentinel) launch(t testing.TB, bin, conf, dir string) error {
	logPath := filepath.Join(dir, "sentinel.log")
	cmd := exec.Command(bin, conf, "--sentinel", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", dir, "--daemonize", "no", "--logfile", logPath)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	if err := waitReady(s.Addr(), exited); err != nil {
		stop()
		return fmt.Errorf("%w\n%s", err, tail(logPath))
	}
	t.Cleanup(stop)
	// The Sentinel answers PING before it has looked at the master.
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	deadline := time.Now().Add(readyWithin)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		addr, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		cancel()
		if err == nil && len(addr) == 2 && addr[1] == strconv.Itoa(s.master.port) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the sentinel on %s did not name master %s within %s: %v %v", s.Addr(), SentinelMaster, readyWithin, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr returns the Sentinel's host:port: what COACH_REDIS_ADDRS lists.
func (s *Sentinel) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Master returns the master the Sentinel watches, to flush or inspect it.
func (s *Sentinel) Master() *Server { return s.master }
