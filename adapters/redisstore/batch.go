package redisstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

const (
	// ackPipelines is how many pipelines of acks may be in flight at once:
	// two, so that one is being filled while the other waits for Redis.
	ackPipelines = 2
	// ackBatchMax bounds the acks sent in one pipeline.
	ackBatchMax = 128
)

// ackBatcher sends the Acks that arrive together (a scheduler's workers
// acking a batch of claims) to Redis as one pipeline: one write and one
// read for all of them instead of a round trip each. On a small machine
// the round trips, not Redis, are what limits delivery. An Ack that
// arrives alone goes out alone at once, so batching adds no wait.
type ackBatcher struct {
	rdb  redis.UniversalClient
	in   chan *ackReq
	done chan struct{}
	wg   sync.WaitGroup
	stop sync.Once // close may be called more than once
}

type ackReq struct {
	prefix string   // the shard: acks of one shard go in one script call
	keys   []string // the user hash and the bucket of next
	args   []any    // ackScript's ARGV for this ack, after the prefix
	res    chan ackRes
}

type ackRes struct {
	held int
	err  error
}

func newAckBatcher(rdb redis.UniversalClient) *ackBatcher {
	b := &ackBatcher{rdb: rdb, in: make(chan *ackReq, ackBatchMax), done: make(chan struct{})}
	for range ackPipelines {
		b.wg.Add(1)
		go b.run()
	}
	return b
}

// ack runs one ack, together with whatever other acks are waiting, and
// returns its result. ctx bounds the wait; the script may still run after
// ctx ends, as a command whose reply was lost does.
func (b *ackBatcher) ack(ctx context.Context, r *ackReq) (int, error) {
	r.res = make(chan ackRes, 1) // buffered: the batcher never waits for the caller
	select {
	case b.in <- r:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-b.done:
		return 0, redis.ErrClosed
	}
	select {
	case res := <-r.res:
		return res.held, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-b.done:
		return 0, redis.ErrClosed
	}
}

// close stops the batcher after the pipelines in flight have finished.
// Calling it again only waits for the same.
func (b *ackBatcher) close() {
	b.stop.Do(func() { close(b.done) })
	b.wg.Wait()
}

func (b *ackBatcher) run() {
	defer b.wg.Done()
	batch := make([]*ackReq, 0, ackBatchMax)
	for {
		var ok bool
		if batch, ok = nextBatch(b.in, b.done, batch, ackBatchMax); !ok {
			return
		}
		b.exec(batch)
	}
}

// nextBatch waits for one item from in, then takes whatever else is
// already queued, up to max, without waiting: an item that arrives alone
// goes out alone at once, and items that arrive while a batch is at Redis
// go out together with the next one. ok is false once done is closed.
func nextBatch[T any](in <-chan T, done <-chan struct{}, batch []T, max int) (_ []T, ok bool) {
	batch = batch[:0]
	select {
	case x := <-in:
		batch = append(batch, x)
	case <-done:
		return batch, false
	}
	for len(batch) < max {
		select {
		case x := <-in:
			batch = append(batch, x)
		default:
			return batch, true
		}
	}
	return batch, true
}

// exec runs a batch: one ackScript call per shard, all in one pipeline.
func (b *ackBatcher) exec(batch []*ackReq) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var groups [][]*ackReq
	index := map[string]int{}
	for _, r := range batch {
		i, ok := index[r.prefix]
		if !ok {
			i = len(groups)
			index[r.prefix] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	calls := make([]ackCall, len(groups))
	for i, g := range groups {
		calls[i] = newAckCall(g)
	}
	if len(calls) == 1 {
		calls[0].finish(ackScript.Run(ctx, b.rdb, calls[0].keys, calls[0].args...))
		return
	}
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(calls))
	for i, c := range calls {
		cmds[i] = ackScript.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	for i, c := range calls {
		if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
			// This node has not seen the script yet (a new or restarted
			// server): Run sends it whole.
			c.finish(ackScript.Run(ctx, b.rdb, c.keys, c.args...))
			continue
		}
		c.finish(cmds[i])
	}
}

// ackCall is one ackScript call: the acks of one shard.
type ackCall struct {
	reqs []*ackReq
	keys []string
	args []any
}

func newAckCall(reqs []*ackReq) ackCall {
	p := reqs[0].prefix
	c := ackCall{reqs: reqs, keys: []string{p + "due", p + "lease"}, args: []any{p}}
	for _, r := range reqs {
		c.keys = append(c.keys, r.keys...)
		c.args = append(c.args, r.args...)
	}
	return c
}

// finish hands every ack of the call its result.
func (c ackCall) finish(cmd *redis.Cmd) {
	held, err := cmd.Int64Slice()
	if err == nil && len(held) != len(c.reqs) {
		err = fmt.Errorf("ack script answered %d acks for %d", len(held), len(c.reqs))
	}
	for i, r := range c.reqs {
		if err != nil {
			r.res <- ackRes{0, err}
			continue
		}
		r.res <- ackRes{int(held[i]), nil}
	}
}
