package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/siogate/siogate/bench/internal/proc"
)

// server is a freshly started target process.
type server struct {
	t     target
	addr  string
	child *proc.Child
	probe *proc.Probe
}

// startServer starts t on a free port of 127.0.0.1 and waits until it
// answers.
// extra arguments go after the target's own.
func startServer(ctx context.Context, cfg *config, t target, bin string, extra ...string) (*server, error) {
	addr, err := proc.FreeAddr()
	if err != nil {
		return nil, err
	}
	c, err := proc.Start(t.Name, t.argv(cfg.Root, bin, addr, extra...), proc.StartOptions{Dir: cfg.Root, Stderr: cfg.Verbose})
	if err != nil {
		return nil, err
	}
	s := &server{t: t, addr: addr, child: c, probe: proc.NewProbe(addr)}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.probe.WaitReady(rctx, t.ReadyPath, c.Done()); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w; %s", err, c.Describe())
	}
	return s, nil
}

func (s *server) pid() int { return s.child.Pid() }

// stop ends the server: SIGTERM, SIGKILL after 5 s.
func (s *server) stop() { s.child.Stop(5 * time.Second) }

// serverSample is the server's state right after a forced collection.
type serverSample struct {
	proc       proc.Sample
	mem        proc.MemStats // Go targets only
	goroutines int           // Go targets only
	fds        int
}

// sample reads the server's state after a forced collection. On Go targets
// the probes that allocate (heap profile, goroutine profile) come between
// two collections, so the RSS read last is not inflated by their garbage.
func (s *server) sample(ctx context.Context) (serverSample, error) {
	var out serverSample
	if err := s.probe.GC(ctx); err != nil {
		return out, fmt.Errorf("%w; %s", err, s.child.Describe())
	}
	if s.t.GoRuntime {
		var err error
		if out.mem, err = s.probe.MemStats(ctx); err != nil {
			return out, err
		}
		if out.goroutines, err = s.probe.Goroutines(ctx); err != nil {
			return out, err
		}
	}
	if err := s.probe.GC(ctx); err != nil {
		return out, fmt.Errorf("%w; %s", err, s.child.Describe())
	}
	var err error
	if out.proc, err = proc.Read(s.pid()); err != nil {
		return out, err
	}
	if out.fds, err = proc.CountFDs(s.pid()); err != nil {
		return out, err
	}
	return out, nil
}

// alive returns an error if the server has exited.
func (s *server) alive() error {
	if s.child.Exited() {
		return errors.New("server exited: " + s.child.Describe())
	}
	return nil
}

// serverStats is what GET /debug/stats answers on the Socket.IO targets
// (cmd/conformance -debug, bench/node/server.mjs), without a collection.
type serverStats struct {
	Sockets       int64             `json:"sockets"`
	Disconnects   map[string]uint64 `json:"disconnects"`
	SlowConsumers uint64            `json:"slowConsumers"` // siogate
	Goroutines    int               `json:"goroutines"`    // siogate
	HeapAlloc     int64             `json:"heapAlloc"`     // siogate: live heap bytes
	HeapUsed      int64             `json:"heapUsed"`      // node: V8 heap used
}

// heap returns the live heap: Go's HeapAlloc or V8's heapUsed.
func (s serverStats) heap() int64 { return max(s.HeapAlloc, s.HeapUsed) }

// stats reads GET /debug/stats.
func (s *server) stats(ctx context.Context) (serverStats, error) {
	var out serverStats
	b, err := s.probe.Get(ctx, "/debug/stats")
	if err != nil {
		return out, fmt.Errorf("%w; %s", err, s.child.Describe())
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("GET /debug/stats: %w", err)
	}
	return out, nil
}

// settledStats forces a collection, then reads GET /debug/stats and the RSS.
func (s *server) settledStats(ctx context.Context) (serverStats, proc.Sample, error) {
	if err := s.probe.GC(ctx); err != nil {
		return serverStats{}, proc.Sample{}, fmt.Errorf("%w; %s", err, s.child.Describe())
	}
	st, err := s.stats(ctx)
	if err != nil {
		return st, proc.Sample{}, err
	}
	p, err := proc.Read(s.pid())
	return st, p, err
}

// rssWatch samples a process's RSS every interval until stop.
type rssWatch struct {
	stopc chan struct{}
	done  chan []int64
}

func watchRSS(pid int, interval time.Duration) *rssWatch {
	w := &rssWatch{stopc: make(chan struct{}), done: make(chan []int64, 1)}
	go func() {
		var out []int64
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if p, err := proc.Read(pid); err == nil {
				out = append(out, p.RSS)
			}
			select {
			case <-t.C:
			case <-w.stopc:
				if p, err := proc.Read(pid); err == nil {
					out = append(out, p.RSS)
				}
				w.done <- out
				return
			}
		}
	}()
	return w
}

// stop ends the watch and returns the samples, the last one taken now.
func (w *rssWatch) stop() []int64 {
	close(w.stopc)
	return <-w.done
}

// writeHeapProfile writes the server's heap profile to
// <cfg.HeapProfile>/<target>-<name>.pb.gz when cfg.HeapProfile is set and
// the target is a Go program. Taken right after a settled sample, its
// in-use figures are the live heap of that sample.
func (s *server) writeHeapProfile(ctx context.Context, cfg *config, name string) error {
	if cfg.HeapProfile == "" || !s.t.GoRuntime {
		return nil
	}
	b, err := s.probe.Get(ctx, "/debug/pprof/heap?gc=1")
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := os.MkdirAll(cfg.HeapProfile, 0o755); err != nil {
		return err
	}
	path := filepath.Join(cfg.HeapProfile, s.t.Name+"-"+name+".pb.gz")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	cfg.progress("%s: heap profile in %s", s.t.Name, path)
	return nil
}
