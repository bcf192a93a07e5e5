package sioload

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Churn runs r.Cycles connect/emit/disconnect cycles over long-polling,
// r.Concurrency goroutines at a time: handshake and Socket.IO CONNECT,
// "echo" with an acknowledgement, then a POST of a Socket.IO DISCONNECT
// and an Engine.IO close, as socket.io-client's disconnect does. A failed
// cycle is counted, not retried; Options.AttemptTimeout bounds a cycle.
// Requests reuse keep-alive connections, as a browser does; the idle ones
// are closed when the run ends, so the server holds none afterwards.
func (p *PollLoader) Churn(ctx context.Context, r ChurnRun) (ChurnResult, error) {
	r, err := r.withDefaults(p.o)
	if err != nil {
		return ChurnResult{}, err
	}
	if err := p.begin(); err != nil {
		return ChurnResult{}, err
	}
	defer p.end()
	start := time.Now()
	var (
		mu     sync.Mutex
		res    ChurnResult
		wg     sync.WaitGroup
		ticket atomic.Int64
	)
	for range min(r.Concurrency, r.Cycles) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && p.ctx.Err() == nil {
				n := ticket.Add(1)
				if n > int64(r.Cycles) {
					return
				}
				born := time.Now().UnixNano()
				err := p.cycle(ctx, uint64(n), born, r.Size)
				mu.Lock()
				if err != nil {
					res.fail(err)
				} else {
					res.Cycles++
					res.Cycle.Record((time.Now().UnixNano() - born) / 1000)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if left := int64(r.Cycles) - min(ticket.Load(), int64(r.Cycles)); left > 0 {
		res.Failed += int(left)
		if res.Errors == nil {
			res.Errors = map[string]int{}
		}
		res.Errors["deadline"] += int(left)
	}
	p.tr.CloseIdleConnections()
	res.Elapsed = time.Since(start)
	return res, nil
}

// cycle runs one connect/emit/disconnect cycle.
func (p *PollLoader) cycle(ctx context.Context, n uint64, born int64, size int) error {
	ctx, cancel := context.WithTimeout(ctx, p.o.AttemptTimeout)
	defer cancel()
	s, err := p.open(ctx, born)
	if err != nil {
		return err
	}
	const ackID = 1
	if err := s.post(ctx, appendEvent(nil, p.o.Namespace, "echo", ackID, kindEcho, n, time.Now().UnixNano(), size)); err != nil {
		return err
	}
	for s.acked != ackID {
		if _, err := s.poll(ctx, false); err != nil {
			return err
		}
	}
	bye := appendSIOPrefix(nil, sioDisconnect, p.o.Namespace)
	bye = append(bye, eioSeparator, '1')
	if err := s.post(ctx, bye); err != nil {
		return fmt.Errorf("disconnect: %w", err)
	}
	return nil
}
