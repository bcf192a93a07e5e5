package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/siogate/siogate/bench/sioload"
)

// command and reply are the line protocol (sioload.Command, sioload.Reply).
type (
	command = sioload.Command
	reply   = sioload.Reply
)

// driver is what both transports do: sioload.Loader (WebSocket, one epoll
// loop) and sioload.PollLoader (long-polling).
type driver interface {
	Connect(ctx context.Context, n int) (sioload.Result, error)
	Churn(ctx context.Context, r sioload.ChurnRun) (sioload.ChurnResult, error)
	Len() int
	Mark() error
	Stats() (sioload.Stats, error)
	Complete() <-chan uint64
	Close() error
}

// executor runs the commands on one driver.
type executor struct {
	d        driver
	deadline time.Duration // bound on a connect phase
}

var errNeedsWebSocket = errors.New("this command needs -transport websocket")

func fail(err error) reply { return reply{Ev: "error", Error: err.Error()} }

func count(n int) *int { return &n }

// connect connects n sockets within the deadline.
func (x *executor) connect(ctx context.Context, n int) reply {
	dctx, cancel := context.WithTimeout(ctx, x.deadline)
	defer cancel()
	res, err := x.d.Connect(dctx, n)
	if err != nil {
		return fail(err)
	}
	return reply{Ev: "connected", Result: &res}
}

// execute runs one command and returns its answer.
func (x *executor) execute(ctx context.Context, c command) reply {
	switch c.Cmd {
	case "connect":
		if c.Count <= 0 {
			return fail(errors.New("connect needs count > 0"))
		}
		return x.connect(ctx, c.Count)
	case "mark":
		if err := x.d.Mark(); err != nil {
			return fail(err)
		}
		return reply{Ev: "ok"}
	case "stats":
		st, err := x.d.Stats()
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "stats", Stats: &st}
	case "churn":
		res, err := x.d.Churn(ctx, sioload.ChurnRun{Cycles: c.Count, Concurrency: c.Concurrency, Size: c.Size})
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "churned", Churn: &res}
	}
	l, ok := x.d.(*sioload.Loader)
	if !ok {
		return fail(fmt.Errorf("%s: %w", c.Cmd, errNeedsWebSocket))
	}
	return x.executeWS(ctx, l, c)
}

// executeWS runs the commands only the WebSocket loader has.
func (x *executor) executeWS(ctx context.Context, l *sioload.Loader, c command) reply {
	switch c.Cmd {
	case "reconnect":
		dctx, cancel := context.WithTimeout(ctx, x.deadline)
		defer cancel()
		res, err := l.Reconnect(dctx)
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "connected", Result: &res}
	case "broadcast":
		ids, err := l.Broadcast(max(c.Count, 1), c.Size)
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "sent", IDs: ids}
	case "echo", "pace":
		kind := sioload.PaceKind(c.Kind)
		if c.Cmd == "echo" {
			kind = sioload.PaceEcho
		}
		st, err := l.Pace(ctx, sioload.PaceRun{
			Kind: kind, Rate: c.Rate, Duration: time.Duration(c.DurationMS) * time.Millisecond,
			Size: c.Size, Drain: time.Duration(c.DrainMS) * time.Millisecond,
			Rooms: c.Rooms, RoomSize: c.RoomSize, Total: c.Total, Keep: c.Keep,
		})
		if err != nil {
			return fail(err)
		}
		ev := "paced"
		if c.Cmd == "echo" {
			ev = "echo"
		}
		return reply{Ev: ev, Stats: &st}
	case "join":
		jctx, cancel := context.WithTimeout(ctx, x.deadline)
		defer cancel()
		failed, err := l.Join(jctx, c.Base, c.RoomSize)
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "joined", Count: count(failed)}
	case "stall":
		n, err := l.Stall(c.Share)
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "stalled", Count: count(n)}
	case "resume":
		n, err := l.Resume()
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "resumed", Count: count(n)}
	}
	return fail(fmt.Errorf("unknown command %q", c.Cmd))
}
