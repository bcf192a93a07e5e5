// Command sioload holds N Socket.IO (or raw WebSocket) client sockets and
// runs measurements on command. bench/cmd/siobench starts several of these
// processes and drives them; it also runs alone:
//
//	sioload -addr 127.0.0.1:3000 -n 5000 -src 127.0.0.2,127.0.0.3
//
// Over WebSocket (the default) every socket lives on one epoll loop
// (bench/sioload.Loader); with -transport polling they are Socket.IO
// sockets over HTTP long-polling, one goroutine each
// (bench/sioload.PollLoader).
//
// Once every socket is ready or given up it prints one JSON line,
// {"ev":"connected","result":{...}}. With -defer it connects nothing at
// start: it prints {"ev":"ready"} and waits for a "connect" command, so
// that several processes can start a connect storm at the same instant.
// It then reads commands, one JSON object per line on stdin, and answers
// each with one line on stdout:
//
//	{"cmd":"connect","count":N}                      -> {"ev":"connected","result":{...}}
//	{"cmd":"reconnect"}                              -> {"ev":"connected","result":{...}}
//	{"cmd":"mark"}                                   -> {"ev":"ok"}
//	{"cmd":"stats"}                                  -> {"ev":"stats","stats":{...}}
//	{"cmd":"broadcast","count":1,"size":64}          -> {"ev":"sent","ids":[0]}
//	{"cmd":"echo","rate":5000,"duration_ms":3000,"size":64,"drain_ms":2000}
//	                                                 -> {"ev":"echo","stats":{...}}
//	{"cmd":"pace","kind":"room","rate":2000,"duration_ms":5000,"size":64,
//	 "rooms":500,"room_size":10,"total":5000,"keep":true}
//	                                                 -> {"ev":"paced","stats":{...}}
//	{"cmd":"join","base":0,"room_size":10}           -> {"ev":"joined","count":failed}
//	{"cmd":"stall","share":0.05}                     -> {"ev":"stalled","count":N}
//	{"cmd":"resume"}                                 -> {"ev":"resumed","count":N}
//	{"cmd":"churn","count":100000,"concurrency":100} -> {"ev":"churned","churn":{...}}
//	{"cmd":"close"}                                  -> {"ev":"closed","held":N}, exit
//
// reconnect, broadcast, echo, pace, join, stall and resume need the
// WebSocket transport. Between answers it prints {"ev":"complete","id":K}
// when broadcast K has reached every ready (and reading) socket of this
// process. An error is answered with {"ev":"error","error":"..."}. End of
// file on stdin, SIGINT, SIGTERM or the -hold time close everything and
// exit.
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

// settings are the command line.
type settings struct {
	addr, mode, transport, path, nsp, src string
	n, concurrency, rcvbuf, mss           int
	attempt, deadline, hold               time.Duration
	deferConnect                          bool
}

func main() {
	var s settings
	flag.StringVar(&s.addr, "addr", "127.0.0.1:3000", "server IPv4 host:port")
	flag.StringVar(&s.mode, "mode", "socketio", "socketio or websocket")
	flag.StringVar(&s.transport, "transport", "websocket", "websocket (one epoll loop) or polling (Socket.IO over HTTP long-polling, a goroutine per socket)")
	flag.StringVar(&s.path, "path", "", `request path (default "/socket.io/" for socketio, "/" for websocket)`)
	flag.StringVar(&s.nsp, "nsp", "/", "Socket.IO namespace")
	flag.IntVar(&s.n, "n", 1000, "number of sockets connected at start")
	flag.StringVar(&s.src, "src", "", "comma-separated local source IPv4 addresses, used round-robin (empty: kernel's choice)")
	flag.IntVar(&s.concurrency, "concurrency", 200, "handshakes in flight")
	flag.IntVar(&s.rcvbuf, "rcvbuf", 0, "SO_RCVBUF of each WebSocket before it connects (0: the kernel's default)")
	flag.IntVar(&s.mss, "mss", 0, "TCP_MAXSEG of each WebSocket before it connects (0: the route's, 64 KiB on loopback)")
	flag.DurationVar(&s.attempt, "attempt-timeout", 10*time.Second, "bound on one handshake attempt (or churn cycle)")
	flag.DurationVar(&s.deadline, "deadline", 2*time.Minute, "bound on a connect phase, retries included")
	flag.DurationVar(&s.hold, "hold", 30*time.Minute, "close everything and exit after this long")
	flag.BoolVar(&s.deferConnect, "defer", false, `connect nothing at start: print {"ev":"ready"} and wait for a connect command`)
	flag.Parse()
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "sioload:", err)
		os.Exit(1)
	}
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

// open builds the driver the flags ask for.
func open(s settings) (driver, error) {
	m, err := sioload.ParseMode(s.mode)
	if err != nil {
		return nil, err
	}
	sources, err := parseSources(s.src)
	if err != nil {
		return nil, err
	}
	o := sioload.Options{
		Addr: s.addr, Mode: m, Path: s.path, Namespace: s.nsp, Sources: sources,
		Concurrency: s.concurrency, AttemptTimeout: s.attempt, RecvBuffer: s.rcvbuf, MSS: s.mss,
	}
	switch s.transport {
	case "websocket", "ws":
		return sioload.New(o)
	case "polling":
		return sioload.NewPolling(o)
	}
	return nil, fmt.Errorf("-transport %q: want websocket or polling", s.transport)
}

func run(s settings) error {
	d, err := open(s)
	if err != nil {
		return err
	}
	defer d.Close()
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(sig, s.hold)
	defer cancel()

	out := &output{enc: json.NewEncoder(os.Stdout)}
	x := &executor{d: d, deadline: s.deadline}
	if s.deferConnect {
		out.send(reply{Ev: "ready"})
	} else {
		out.send(x.connect(ctx, s.n))
	}

	// Completions go out as they come, until the process ends.
	go func() {
		for {
			select {
			case id := <-d.Complete():
				out.send(reply{Ev: "complete", ID: &id})
			case <-ctx.Done():
				return
			}
		}
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
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
		out.send(x.execute(ctx, c))
	}
	held := d.Len()
	if err := d.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "sioload:", err)
	}
	out.send(reply{Ev: "closed", Held: &held})
	return nil
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
