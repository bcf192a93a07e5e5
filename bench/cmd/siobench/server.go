package main

import (
	"context"
	"errors"
	"fmt"
	"net"
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
func startServer(ctx context.Context, cfg *config, t target, bin string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c, err := proc.Start(t.Name, t.argv(cfg.Root, bin, addr), proc.StartOptions{Dir: cfg.Root, Stderr: cfg.Verbose})
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

// freeAddr returns a 127.0.0.1 address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
