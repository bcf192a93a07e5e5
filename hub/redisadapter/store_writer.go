package redisadapter

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Store's writer: one goroutine sends the queued writes in order, as
// pipelines, so appends never wait for Redis and this node's packets enter
// the streams in the order of their numbers.

type opKind uint8

const (
	opAppend opKind = iota // XADD values to the stream key
	opSave                 // SET key payload PX ttl
	opFlush                // close done once everything queued before is sent
)

type storeOp struct {
	kind    opKind
	key     string
	values  []any
	payload []byte
	ttl     time.Duration
	done    chan struct{}
}

const storeBatch = 256 // writes per pipeline

var errStoreQueueFull = errors.New("redisadapter: store queue full")

// enqueue queues a write, waiting for room until ctx is done.
func (s *Store) enqueue(ctx context.Context, op storeOp) error {
	if s.closed.Load() {
		return ErrClosed
	}
	select {
	case s.queue <- op:
		return nil
	case <-ctx.Done():
		return errors.Join(errStoreQueueFull, ctx.Err())
	}
}

// flush waits until the writes queued so far are sent (or failed).
func (s *Store) flush(ctx context.Context) error {
	op := storeOp{kind: opFlush, done: make(chan struct{})}
	if err := s.enqueue(ctx, op); err != nil {
		return err
	}
	select {
	case <-op.done:
		return nil
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) writer() {
	defer s.wg.Done()
	batch := make([]storeOp, 0, storeBatch)
	for {
		select {
		case op := <-s.queue:
			batch = s.fillBatch(append(batch[:0], op))
			s.write(batch)
			clear(batch)
		case <-s.stop:
			deadline := time.Now().Add(s.opts.Timeout)
			for time.Now().Before(deadline) {
				batch = s.fillBatch(batch[:0])
				if len(batch) == 0 {
					return
				}
				s.write(batch)
				clear(batch)
			}
			s.failQueued()
			return
		}
	}
}

func (s *Store) fillBatch(batch []storeOp) []storeOp {
	for len(batch) < storeBatch {
		select {
		case op := <-s.queue:
			batch = append(batch, op)
		default:
			return batch
		}
	}
	return batch
}

// failQueued counts what Close could not send in time.
func (s *Store) failQueued() {
	for {
		select {
		case op := <-s.queue:
			if op.kind == opFlush {
				close(op.done)
			} else {
				s.stats.writeErrors.Add(1)
			}
		default:
			return
		}
	}
}

// write sends one batch as a pipeline and releases its flush markers.
func (s *Store) write(batch []storeOp) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	cmds := make([]redis.Cmder, len(batch))
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, op := range batch {
			switch op.kind {
			case opAppend:
				cmds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: op.key, MaxLen: s.opts.MaxLen, Approx: true, Values: op.values})
			case opSave:
				cmds[i] = p.Set(ctx, op.key, op.payload, op.ttl)
			}
		}
		return nil
	})
	var firstErr error
	for i, op := range batch {
		if op.kind == opFlush {
			close(op.done)
			continue
		}
		if err := cmds[i].Err(); err != nil {
			s.stats.writeErrors.Add(1)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if op.kind == opAppend {
			s.stats.appended.Add(1)
		} else {
			s.stats.saved.Add(1)
		}
	}
	if firstErr != nil {
		s.opts.Logger.Warn("redisadapter: recovery store writes failed", "err", firstErr)
	}
}
