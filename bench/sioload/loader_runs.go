package sioload

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PaceKind is what a paced run sends.
type PaceKind string

const (
	// PaceEcho: "echo" with an acknowledgement id (raw text in WebSocket
	// mode); the acknowledgement carries the stamp back to the sender.
	PaceEcho PaceKind = "echo"
	// PaceBroadcast: "broadcast" (a 'b' text in WebSocket mode); the server
	// sends the stamp to every socket as "bcast".
	PaceBroadcast PaceKind = "broadcast"
	// PaceRoom: "bench:room" to a room picked at random; the server sends the
	// stamp as "bcast" to that room's members (see Join).
	PaceRoom PaceKind = "room"
)

// PaceRun describes a paced run: Rate messages per second for Duration,
// spread round-robin over the ready sockets that read.
type PaceRun struct {
	// Kind is what is sent. Default PaceEcho.
	Kind PaceKind
	// Rate is the messages per second this Loader sends. Required.
	Rate float64
	// Duration is how long it sends. Required.
	Duration time.Duration
	// Size is the length of the string argument. Default 64.
	Size int
	// Drain bounds the wait once sending is over: for echoes, until every
	// one is acknowledged; for broadcasts, a fixed wait for the last
	// deliveries. Default 2 s.
	Drain time.Duration
	// Keep leaves the statistics alone instead of marking them first: the
	// caller marked every load process before any of them started sending.
	Keep bool
	// PaceRoom: rooms r0..r<Rooms-1> are picked from; room k holds sockets
	// k×RoomSize .. (k+1)×RoomSize-1 of Total (see Join), which gives the
	// deliveries expected.
	Rooms, RoomSize, Total int
}

// roomMembers returns the sockets of room k.
func (r PaceRun) roomMembers(k int) int {
	return max(min(r.RoomSize, r.Total-k*r.RoomSize), 0)
}

func (r PaceRun) withDefaults() (PaceRun, error) {
	if r.Kind == "" {
		r.Kind = PaceEcho
	}
	if r.Rate <= 0 || r.Duration <= 0 {
		return r, errors.New("sioload: a paced run needs Rate and Duration")
	}
	if r.Size <= 0 {
		r.Size = 64
	}
	if r.Drain <= 0 {
		r.Drain = 2 * time.Second
	}
	switch r.Kind {
	case PaceEcho, PaceBroadcast:
	case PaceRoom:
		if r.Rooms <= 0 || r.RoomSize <= 0 || r.Total <= 0 {
			return r, errors.New("sioload: a room run needs Rooms, RoomSize and Total")
		}
	default:
		return r, fmt.Errorf("sioload: unknown pace kind %q", r.Kind)
	}
	return r, nil
}

// EchoRun describes a paced echo run.
type EchoRun struct {
	// Rate is the messages per second this Loader sends, spread round-robin
	// over its ready sockets. Required.
	Rate float64
	// Duration is how long it sends. Required.
	Duration time.Duration
	// Size is the length of the string argument. Default 64.
	Size int
	// Drain bounds the wait for the last acknowledgements once sending is
	// over. Default 2 s.
	Drain time.Duration
}

// Echo is Pace with PaceEcho: it marks the statistics, sends EchoRun.Rate
// "echo" events per second with an acknowledgement id (or raw text
// messages in WebSocket mode) for EchoRun.Duration, waits until every one
// is answered or Drain passes, and returns the statistics of the run.
func (l *Loader) Echo(ctx context.Context, r EchoRun) (Stats, error) {
	return l.Pace(ctx, PaceRun{Kind: PaceEcho, Rate: r.Rate, Duration: r.Duration, Size: r.Size, Drain: r.Drain})
}

// Pace marks the statistics (unless r.Keep), sends what r describes, waits
// for the drain and returns the statistics since the mark. EchoStartNs and
// EchoEndNs bound the sending.
func (l *Loader) Pace(ctx context.Context, r PaceRun) (Stats, error) {
	r, err := r.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	if !r.Keep {
		if err := l.Mark(); err != nil {
			return Stats{}, err
		}
	}
	var job *paceJob
	derr := l.do(func(lp *loop) {
		switch {
		case lp.pace != nil:
			err = ErrBusy
		case lp.receivers() == 0:
			err = ErrNoSocket
		default:
			now := time.Now().UnixNano()
			job = &paceJob{run: r, startNs: now, total: max(int64(r.Rate*r.Duration.Seconds()), 1), done: make(chan struct{})}
			lp.pace = job
			lp.st.EchoStartNs = now
		}
	})
	if derr != nil {
		return Stats{}, derr
	}
	if err != nil {
		return Stats{}, err
	}
	select {
	case <-job.done:
	case <-ctx.Done():
		_ = l.do(func(lp *loop) {
			if lp.pace == job {
				lp.st.EchoEndNs = time.Now().UnixNano()
				close(job.done)
				lp.pace = nil
			}
		})
		return l.Stats()
	}
	deadline := time.Now().Add(r.Drain)
	for {
		s, err := l.Stats()
		if err != nil || ctx.Err() != nil || time.Now().After(deadline) ||
			(r.Kind == PaceEcho && s.EchoAcked >= s.EchoSent) {
			return s, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Join makes every ready socket that reads emit the fixtures' "join" event
// with an acknowledgement for room "r<k>", k = (base + its connection
// number) / roomSize, and waits for every answer. base is the number of
// sockets held by the load processes before this one, so that rooms
// follow one numbering across processes. It returns the sockets that did
// not join (lost, or unanswered when ctx ended).
func (l *Loader) Join(ctx context.Context, base, roomSize int) (int, error) {
	if base < 0 || roomSize <= 0 {
		return 0, errors.New("sioload: Join needs base >= 0 and roomSize > 0")
	}
	if l.o.Mode != SocketIO {
		return 0, errors.New("sioload: Join needs Socket.IO mode")
	}
	done := make(chan int, 1)
	var busy bool
	err := l.do(func(lp *loop) {
		if lp.join != nil {
			busy = true
			return
		}
		lp.startJoin(base, roomSize, done)
	})
	if err != nil {
		return 0, err
	}
	if busy {
		return 0, ErrBusy
	}
	select {
	case n := <-done:
		return n, nil
	case <-ctx.Done():
	}
	if err := l.do(func(lp *loop) {
		if lp.join != nil {
			lp.finishJoin()
		}
	}); err != nil {
		return 0, err
	}
	return <-done, nil
}

// Stall stops reading a share (0..1) of the ready sockets, spread evenly
// over them: the kernel's buffers fill and the server's writes back up,
// as with a client that stopped draining. Stalled sockets answer no ping
// and send nothing; broadcasts are complete without them. It returns how
// many were stalled. Stats count their closes apart (StalledClosed).
func (l *Loader) Stall(share float64) (int, error) {
	if share < 0 || share > 1 {
		return 0, errors.New("sioload: Stall needs a share in [0, 1]")
	}
	n := 0
	err := l.do(func(lp *loop) { n = lp.stall(share) })
	return n, err
}

// Resume reads the stalled sockets again, at once: whatever the kernel
// buffered for them is consumed, so a server's close (or the end of the
// stream) is seen. It returns how many were resumed.
func (l *Loader) Resume() (int, error) {
	n := 0
	err := l.do(func(lp *loop) { n = lp.resume() })
	return n, err
}

// ChurnRun describes connect/emit/disconnect cycles.
type ChurnRun struct {
	// Cycles is the number of cycles. Required.
	Cycles int
	// Concurrency bounds the cycles in flight. Default Options.Concurrency.
	Concurrency int
	// Size is the length of the echo's string argument. Default 64.
	Size int
}

// ChurnResult summarises a Churn.
type ChurnResult struct {
	// Cycles is the number of cycles completed; Failed the number that
	// failed (no retry), by the class of their error in Errors.
	Cycles     int            `json:"cycles"`
	Failed     int            `json:"failed"`
	Errors     map[string]int `json:"errors,omitempty"`
	FirstError string         `json:"first_error,omitempty"`
	// Elapsed is the wall time of the whole run.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Cycle holds the microseconds of each completed cycle, from the TCP
	// connect to the acknowledgement.
	Cycle Histogram `json:"cycle_us"`
}

// fail counts a failed cycle.
func (r *ChurnResult) fail(err error) {
	r.Failed++
	if r.Errors == nil {
		r.Errors = map[string]int{}
	}
	r.Errors[ErrorClass(err)]++
	if r.FirstError == "" {
		r.FirstError = err.Error()
	}
}

// Add merges o into r: counts added, errors merged, the longer elapsed
// time kept.
func (r *ChurnResult) Add(o ChurnResult) {
	r.Cycles += o.Cycles
	r.Failed += o.Failed
	for k, v := range o.Errors {
		if r.Errors == nil {
			r.Errors = map[string]int{}
		}
		r.Errors[k] += v
	}
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
	r.Elapsed = max(r.Elapsed, o.Elapsed)
	r.Cycle.Merge(&o.Cycle)
}

func (r ChurnRun) withDefaults(o Options) (ChurnRun, error) {
	if r.Cycles <= 0 {
		return r, errors.New("sioload: Churn needs Cycles > 0")
	}
	if r.Concurrency <= 0 {
		r.Concurrency = o.Concurrency
	}
	if r.Size <= 0 {
		r.Size = 64
	}
	return r, nil
}

// Churn runs r.Cycles connect/emit/disconnect cycles over WebSocket, at
// most r.Concurrency at a time: connect (upgrade, Engine.IO open,
// Socket.IO CONNECT), emit "echo" with an acknowledgement, and once it is
// answered send a Socket.IO DISCONNECT and a WebSocket close and close the
// socket. A failed cycle is counted, not retried; Options.AttemptTimeout
// bounds a cycle. The ready sockets are left alone.
func (l *Loader) Churn(ctx context.Context, r ChurnRun) (ChurnResult, error) {
	r, err := r.withDefaults(l.o)
	if err != nil {
		return ChurnResult{}, err
	}
	if l.o.Mode != SocketIO {
		return ChurnResult{}, errors.New("sioload: Churn needs Socket.IO mode")
	}
	done := make(chan ChurnResult, 1)
	var busy bool
	err = l.do(func(lp *loop) {
		if lp.churn != nil || lp.dial != nil {
			busy = true
			return
		}
		lp.churn = &churnJob{run: r, left: r.Cycles, start: time.Now(), done: done}
	})
	if err != nil {
		return ChurnResult{}, err
	}
	if busy {
		return ChurnResult{}, ErrBusy
	}
	select {
	case res := <-done:
		return res, nil
	case <-ctx.Done():
	}
	if err := l.do(func(lp *loop) {
		if lp.churn != nil {
			lp.finishChurn()
		}
	}); err != nil {
		return ChurnResult{}, err
	}
	return <-done, nil
}
