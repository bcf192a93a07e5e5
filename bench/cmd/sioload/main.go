// Command sioload holds N Socket.IO (or raw WebSocket) client sockets on one
// event loop and runs measurements on command. bench/cmd/siobench starts
// several of these processes and drives them; it also runs alone:
//
//	sioload -addr 127.0.0.1:3000 -n 5000 -src 127.0.0.2,127.0.0.3
//
// Once every socket is ready or given up it prints one JSON line,
// {"ev":"connected","result":{...}}. It then reads commands, one JSON object
// per line on stdin, and answers each with one line on stdout:
//
//	{"cmd":"mark"}                                   -> {"ev":"ok"}
//	{"cmd":"stats"}                                  -> {"ev":"stats","stats":{...}}
//	{"cmd":"broadcast","count":1,"size":64}          -> {"ev":"sent","ids":[0]}
//	{"cmd":"echo","rate":5000,"duration_ms":3000,"size":64,"drain_ms":2000}
//	                                                 -> {"ev":"echo","stats":{...}}
//	{"cmd":"close"}                                  -> {"ev":"closed","held":N}, exit
//
// Between answers it prints {"ev":"complete","id":K} when broadcast K has
// reached every ready socket of this process. An error is answered with
// {"ev":"error","error":"..."}. End of file on stdin, SIGINT, SIGTERM or the
// -hold time close everything and exit.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/siogate/siogate/bench/sioload"
)

func main() {
	var (
		addr        = flag.String("addr", "127.0.0.1:3000", "server IPv4 host:port")
		mode        = flag.String("mode", "socketio", "socketio or websocket")
		path        = flag.String("path", "", `request path (default "/socket.io/" for socketio, "/" for websocket)`)
		nsp         = flag.String("nsp", "/", "Socket.IO namespace")
		n           = flag.Int("n", 1000, "number of sockets")
		src         = flag.String("src", "", "comma-separated local source IPv4 addresses, used round-robin (empty: kernel's choice)")
		concurrency = flag.Int("concurrency", 200, "handshakes in flight")
		attempt     = flag.Duration("attempt-timeout", 10*time.Second, "bound on one handshake attempt")
		deadline    = flag.Duration("deadline", 2*time.Minute, "bound on the connect phase, retries included")
		hold        = flag.Duration("hold", 30*time.Minute, "close everything and exit after this long")
	)
	flag.Parse()
	if err := run(*addr, *mode, *path, *nsp, *n, *src, *concurrency, *attempt, *deadline, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "sioload:", err)
		os.Exit(1)
	}
}

// command is one line of stdin.
type command struct {
	Cmd        string  `json:"cmd"`
	Count      int     `json:"count,omitempty"`
	Size       int     `json:"size,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	DurationMS int64   `json:"duration_ms,omitempty"`
	DrainMS    int64   `json:"drain_ms,omitempty"`
}

// reply is one line of stdout.
type reply struct {
	Ev     string          `json:"ev"`
	Result *sioload.Result `json:"result,omitempty"`
	Stats  *sioload.Stats  `json:"stats,omitempty"`
	IDs    []uint64        `json:"ids,omitempty"`
	ID     *uint64         `json:"id,omitempty"`
	Held   *int            `json:"held,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// output serialises the lines of the command loop and the completion
// goroutine.
type output struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *output) send(r reply) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(r)
}

func run(addr, mode, path, nsp string, n int, src string, concurrency int, attempt, deadline, hold time.Duration) error {
	m, err := sioload.ParseMode(mode)
	if err != nil {
		return err
	}
	sources, err := parseSources(src)
	if err != nil {
		return err
	}
	l, err := sioload.New(sioload.Options{
		Addr: addr, Mode: m, Path: path, Namespace: nsp, Sources: sources,
		Concurrency: concurrency, AttemptTimeout: attempt,
	})
	if err != nil {
		return err
	}
	defer l.Close()
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(sig, hold)
	defer cancel()

	out := &output{enc: json.NewEncoder(os.Stdout)}
	dctx, dcancel := context.WithTimeout(ctx, deadline)
	res, err := l.Connect(dctx, n)
	dcancel()
	if err != nil {
		return err
	}
	out.send(reply{Ev: "connected", Result: &res})

	// Completions go out as they come, until the process ends.
	go func() {
		for {
			select {
			case id := <-l.Complete():
				out.send(reply{Ev: "complete", ID: &id})
			case <-ctx.Done():
				return
			}
		}
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(os.Stdin)
		for s.Scan() {
			select {
			case lines <- s.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-ctx.Done():
		}
		if !ok {
			break
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var c command
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			out.send(reply{Ev: "error", Error: "bad command: " + err.Error()})
			continue
		}
		if c.Cmd == "close" {
			break
		}
		out.send(execute(ctx, l, c))
	}
	held := l.Len()
	if err := l.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "sioload:", err)
	}
	out.send(reply{Ev: "closed", Held: &held})
	return nil
}

// execute runs one command and returns its answer.
func execute(ctx context.Context, l *sioload.Loader, c command) reply {
	fail := func(err error) reply { return reply{Ev: "error", Error: err.Error()} }
	switch c.Cmd {
	case "mark":
		if err := l.Mark(); err != nil {
			return fail(err)
		}
		return reply{Ev: "ok"}
	case "stats":
		st, err := l.Stats()
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "stats", Stats: &st}
	case "broadcast":
		ids, err := l.Broadcast(max(c.Count, 1), c.Size)
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "sent", IDs: ids}
	case "echo":
		st, err := l.Echo(ctx, sioload.EchoRun{
			Rate: c.Rate, Duration: time.Duration(c.DurationMS) * time.Millisecond,
			Size: c.Size, Drain: time.Duration(c.DrainMS) * time.Millisecond,
		})
		if err != nil {
			return fail(err)
		}
		return reply{Ev: "echo", Stats: &st}
	}
	return fail(fmt.Errorf("unknown command %q", c.Cmd))
}

// parseSources parses a comma-separated list of IPv4 addresses.
func parseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("-src: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}
