package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/siogate/siogate/bench/sioload"
)

// command is one line of stdin.
type command struct {
	Cmd         string  `json:"cmd"`
	Count       int     `json:"count,omitempty"`
	Size        int     `json:"size,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	DurationMS  int64   `json:"duration_ms,omitempty"`
	DrainMS     int64   `json:"drain_ms,omitempty"`
	Kind        string  `json:"kind,omitempty"`
	Rooms       int     `json:"rooms,omitempty"`
	RoomSize    int     `json:"room_size,omitempty"`
	Total       int     `json:"total,omitempty"`
	Base        int     `json:"base,omitempty"`
	Share       float64 `json:"share,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	Keep        bool    `json:"keep,omitempty"`
}

// reply is one line of stdout.
type reply struct {
	Ev     string               `json:"ev"`
	Result *sioload.Result      `json:"result,omitempty"`
	Stats  *sioload.Stats       `json:"stats,omitempty"`
	Churn  *sioload.ChurnResult `json:"churn,omitempty"`
	IDs    []uint64             `json:"ids,omitempty"`
	ID     *uint64              `json:"id,omitempty"`
	Held   *int                 `json:"held,omitempty"`
	Count  *int                 `json:"count,omitempty"`
	Error  string               `json:"error,omitempty"`
}

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
