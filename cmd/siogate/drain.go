package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/siogate/siogate/hub/eio"
)

// drainStep is the pause between two batches of closes (jittered ±50%).
const drainStep = 100 * time.Millisecond

// drain shuts the gateway down within ctx:
//
//  1. /readyz answers 503 and new Socket.IO handshakes are refused (503),
//     so load balancers and reconnecting clients go elsewhere;
//  2. open connections are closed in jittered batches over -drain-spread
//     (WebSockets with close 1001 "going away", polling clients with an
//     Engine.IO close packet): clients reconnect, and the rest of the
//     cluster sees them arrive spread out rather than all at once;
//  3. the hub closes what is left, the reactor flushes the close frames,
//     finishes HTTP requests in flight and stops listening;
//  4. handlers finish and queued disconnect notifications are posted.
//
// Anything still running when ctx ends is forced closed.
func (g *gateway) drain(ctx context.Context) error {
	g.draining.Store(true)
	g.closeInBatches(ctx, g.cfg.drainSpread)
	var errs []error
	_ = g.srv.Engine().Shutdown(ctx)
	if err := g.reactor.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("reactor: %w", err))
	}
	if err := g.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("hub: %w", err))
	}
	if g.store != nil { // after the hub, which saved the sessions; before the bus, which owns the client
		if err := g.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("recovery store: %w", err))
		}
	}
	if g.bus != nil {
		if err := g.bus.Close(); err != nil {
			errs = append(errs, fmt.Errorf("redis: %w", err))
		}
	}
	if g.hooks != nil {
		if err := g.hooks.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("webhooks: %w", err))
		}
	}
	return errors.Join(errs...)
}

// closeInBatches closes every open Engine.IO session, in random order, in
// batches spread over about spread.
func (g *gateway) closeInBatches(ctx context.Context, spread time.Duration) {
	var sessions []*eio.Session
	g.srv.Engine().Range(func(s *eio.Session) bool {
		sessions = append(sessions, s)
		return true
	})
	if len(sessions) == 0 || spread <= 0 {
		return
	}
	rand.Shuffle(len(sessions), func(i, j int) { sessions[i], sessions[j] = sessions[j], sessions[i] })
	batches := max(1, int(spread/drainStep))
	size := (len(sessions) + batches - 1) / batches
	g.logger.Info("closing connections", "count", len(sessions), "batch", size, "spread", spread)
	for i := 0; i < len(sessions); i += size {
		for _, s := range sessions[i:min(i+size, len(sessions))] {
			s.CloseWith(eio.ReasonShutdown, nil)
		}
		if i+size >= len(sessions) {
			return
		}
		t := time.NewTimer(drainStep/2 + rand.N(drainStep))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}
