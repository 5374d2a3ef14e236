package redisstore

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

const (
	// directMax is how many calls may be in flight before a new one is
	// pipelined instead of sent directly on its caller's goroutine. A
	// pipelined call costs a hand-off to a worker and back (goroutine
	// wake-ups) and waits for the pipeline ahead of it, which batching
	// repays only once the client is saturated: on 2 cores, pipelining
	// loses below about 12 calls in flight and wins from about 20
	// (BenchmarkHotCalls). Below it, a call is what it was without the
	// pipeliner.
	directMax = 16
	// autoPipelines is how many pipelines may be in flight at once: a few,
	// so that while some wait for Redis another is being filled, and a
	// call that finds one idle goes out at once.
	autoPipelines = 3
	// autoBatchMax bounds the calls sent in one pipeline.
	autoBatchMax = 128
)

// autoPipe sends the one-command calls (Admit's, Allow's and
// FirstSeen's scripts, the record reads and writes) that arrive while many others are in flight to
// Redis together, as one pipeline: one write and one read for all of
// them. Under load most of a call's cost, on both sides, is its own
// syscalls, not the command. There is no timer: while few calls are in
// flight (directMax) a call runs at once on its caller's goroutine,
// exactly as without the pipeliner; beyond, one that finds a pipeline idle
// goes out at once, alone, and the rest wait for the next free pipeline,
// so batching only replaces waiting for a free connection with waiting
// for a free pipeline (rueidis calls this natural batching).
type autoPipe struct {
	rdb  redis.UniversalClient
	in   chan *pipeOp
	done chan struct{}
	wg   sync.WaitGroup
	stop sync.Once // close may be called more than once

	// busy counts the calls in flight, direct or pipelined.
	busy atomic.Int32

	// execs and ops count the round trips (direct calls included) and the
	// calls they carried, for the tests and the benchmark.
	execs, ops atomic.Int64
}

// pipeOp is one call: a script's call (script, keys, args) or a plain
// command (cmd).
type pipeOp struct {
	ctx    context.Context // the caller's: a call given up before it is sent is dropped
	script *redis.Script
	keys   []string
	args   []any
	cmd    func(ctx context.Context, c redis.Cmdable) redis.Cmder

	res  redis.Cmder   // the answer; nil when the call was dropped
	done chan struct{} // closed when res is set
}

func newAutoPipe(rdb redis.UniversalClient) *autoPipe {
	p := &autoPipe{rdb: rdb, in: make(chan *pipeOp, autoBatchMax), done: make(chan struct{})}
	for range autoPipelines {
		p.wg.Add(1)
		go p.run()
	}
	return p
}

// do runs op and returns its answer: directly while few calls are in
// flight, else together with whatever other calls are waiting. ctx bounds
// the wait; a pipelined command may still run after ctx ends, as a command
// whose reply was lost does.
func (p *autoPipe) do(ctx context.Context, op *pipeOp) (redis.Cmder, error) {
	defer p.busy.Add(-1)
	if p.busy.Add(1) <= directMax {
		p.execs.Add(1)
		p.ops.Add(1)
		return op.run(ctx, p.rdb), nil
	}
	op.ctx, op.done = ctx, make(chan struct{})
	select {
	case p.in <- op:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, redis.ErrClosed
	}
	select {
	case <-op.done:
		if op.res == nil {
			return nil, ctx.Err()
		}
		return op.res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, redis.ErrClosed
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

// close stops the workers after the pipelines in flight have finished.
// Calling it again only waits for the same.
func (p *autoPipe) close() {
	p.stop.Do(func() { close(p.done) })
	p.wg.Wait()
}

func (p *autoPipe) run() {
	defer p.wg.Done()
	batch := make([]*pipeOp, 0, autoBatchMax)
	for {
		var ok bool
		if batch, ok = nextBatch(p.in, p.done, batch, autoBatchMax); !ok {
			return
		}
		if batch = p.live(batch); len(batch) > 0 {
			p.exec(batch)
		}
	}
}

// live drops the calls whose callers have given up waiting: a call that
// is never sent changes nothing (a rate-limit token is not spent for an
// answer no one reads).
func (p *autoPipe) live(batch []*pipeOp) []*pipeOp {
	kept := batch[:0]
	for _, op := range batch {
		if op.ctx.Err() != nil {
			close(op.done)
			continue
		}
		kept = append(kept, op)
	}
	return kept
}

// exec runs a batch and hands every call its answer. Its context is the
// store's cap on one call, not any caller's: the batch is shared, and each
// caller stops waiting at its own deadline anyway. The client's read and
// write timeouts still bound every attempt, so a hung Redis holds a worker
// about as long as it would hold a direct call.
func (p *autoPipe) exec(batch []*pipeOp) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	p.execs.Add(1)
	p.ops.Add(int64(len(batch)))
	if len(batch) == 1 {
		batch[0].finish(batch[0].run(ctx, p.rdb))
		return
	}
	noscript := p.send(ctx, batch, false)
	if len(noscript) > 0 {
		// Redis does not know a script (it restarted, failed over, or its
		// cache was flushed): send those calls again as EVAL, which runs
		// the script and loads it for the calls to come.
		p.send(ctx, noscript, true)
	}
}

// send runs ops in one pipeline, scripts by EVALSHA (or, when eval, by
// EVAL), and finishes them, except the script calls that failed with
// NOSCRIPT, which it returns.
func (p *autoPipe) send(ctx context.Context, ops []*pipeOp, eval bool) (noscript []*pipeOp) {
	pipe := p.rdb.Pipeline()
	cmds := make([]redis.Cmder, len(ops))
	for i, op := range ops {
		switch {
		case op.script == nil:
			cmds[i] = op.cmd(ctx, pipe)
		case eval:
			cmds[i] = op.script.Eval(ctx, pipe, op.keys, op.args...)
		default:
			cmds[i] = op.script.EvalSha(ctx, pipe, op.keys, op.args...)
		}
	}
	// Each command carries its own error; a failed round trip sets it on
	// all of them. On a Cluster the pipeline is split by node, each
	// command routed by its first key.
	_, _ = pipe.Exec(ctx)
	for i, op := range ops {
		if !eval && op.script != nil && redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
			noscript = append(noscript, op)
			continue
		}
		op.finish(cmds[i])
	}
	return noscript
}

// run sends op alone, on the client's ordinary pool, as a call without the
// pipeliner does (Script.Run loads a script Redis does not know).
func (op *pipeOp) run(ctx context.Context, rdb redis.UniversalClient) redis.Cmder {
	if op.script != nil {
		return op.script.Run(ctx, rdb, op.keys, op.args...)
	}
	return op.cmd(ctx, rdb)
}

func (op *pipeOp) finish(res redis.Cmder) {
	op.res = res
	close(op.done)
}

// runScript is script.Run, sent through the pipeliner unless it is off.
func (s *Store) runScript(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	if s.pipe == nil {
		return script.Run(ctx, s.rdb, keys, args...)
	}
	res, err := s.pipe.do(ctx, &pipeOp{script: script, keys: keys, args: args})
	if err != nil {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(err)
		return cmd
	}
	return res.(*redis.Cmd)
}

// get is GET, sent through the pipeliner unless it is off.
func (s *Store) get(ctx context.Context, key string) *redis.StringCmd {
	if s.pipe == nil {
		return s.rdb.Get(ctx, key)
	}
	res, err := s.pipe.do(ctx, &pipeOp{cmd: func(ctx context.Context, c redis.Cmdable) redis.Cmder {
		return c.Get(ctx, key)
	}})
	if err != nil {
		cmd := redis.NewStringCmd(ctx)
		cmd.SetErr(err)
		return cmd
	}
	return res.(*redis.StringCmd)
}
