// Command wsload opens N raw WebSocket connections and holds them idle.
//
//	wsload -addr 127.0.0.1:8081 -n 5000 -src 127.0.0.2,127.0.0.3
//
// When every connection is open or given up it prints one JSON line on
// stdout, {"connected":N,"failed":F,"elapsed_ms":T,...}. It then holds the
// connections until it reads "close" (or end of file) on stdin, the -hold
// time passes, or it gets SIGINT/SIGTERM; it closes them all, prints
// {"closed":N} and exits. With -stdin=false stdin is ignored.
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
	"syscall"
	"time"

	"github.com/siogate/siogate/bench/wsload"
)

func main() {
	var (
		addr        = flag.String("addr", "127.0.0.1:8081", "server host:port")
		path        = flag.String("path", "/", "request path of the upgrade")
		n           = flag.Int("n", 1000, "number of connections")
		src         = flag.String("src", "", "comma-separated local source IPs, used round-robin (empty: kernel's choice)")
		concurrency = flag.Int("concurrency", 200, "dials and handshakes in flight")
		attempt     = flag.Duration("attempt-timeout", 10*time.Second, "bound on one dial plus handshake")
		deadline    = flag.Duration("deadline", 2*time.Minute, "bound on the whole connect phase, retries included")
		hold        = flag.Duration("hold", 10*time.Minute, "close everything and exit after this long")
		echo        = flag.Bool("echo", false, "send one text message per connection after the upgrade and wait for its echo")
		useStdin    = flag.Bool("stdin", true, `end the hold on "close" or end of file on stdin`)
	)
	flag.Parse()
	if err := run(*addr, *path, *n, *src, *concurrency, *attempt, *deadline, *hold, *echo, *useStdin); err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(1)
	}
}

// report is the line printed once the connect phase is over.
type report struct {
	Connected  int            `json:"connected"`
	Failed     int            `json:"failed"`
	Retries    int            `json:"retries"`
	ElapsedMS  int64          `json:"elapsed_ms"`
	Errors     map[string]int `json:"errors,omitempty"`
	FirstError string         `json:"first_error,omitempty"`
}

func run(addr, path string, n int, src string, concurrency int, attempt, deadline, hold time.Duration, echo, useStdin bool) error {
	sources, err := parseSources(src)
	if err != nil {
		return err
	}
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dctx, cancel := context.WithTimeout(sig, deadline)
	p, res, err := wsload.Dial(dctx, wsload.Options{
		Addr:           addr,
		Path:           path,
		N:              n,
		Sources:        sources,
		Concurrency:    concurrency,
		AttemptTimeout: attempt,
		Echo:           echo,
	})
	cancel()
	if err != nil {
		return err
	}
	defer p.Close()
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(report{
		Connected:  res.Connected,
		Failed:     res.Failed,
		Retries:    res.Retries,
		ElapsedMS:  res.Elapsed.Milliseconds(),
		Errors:     res.Errors,
		FirstError: res.FirstError,
	}); err != nil {
		return err
	}

	closeReq := make(chan struct{})
	if useStdin {
		// This goroutine may outlive run if stdin stays open; the process
		// exits right after, which ends it.
		go func() {
			s := bufio.NewScanner(os.Stdin)
			for s.Scan() {
				if strings.TrimSpace(s.Text()) == "close" {
					break
				}
			}
			close(closeReq)
		}()
	}
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case <-closeReq:
	case <-t.C:
	case <-sig.Done():
	}
	held := p.Len()
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "wsload: close:", err)
	}
	return out.Encode(map[string]int{"closed": held})
}

// parseSources parses a comma-separated list of IP addresses.
func parseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
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
