package poller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/gopkg/util/gopool"
	"github.com/cloudwego/netpoll"
	"github.com/siogate/siogate/internal/shrink"
)

// inputNodeSize is netpoll's initial input buffer and its smallest buffer
// node (netpoll.LinkBufferCap, a process-wide setting). netpoll keeps a
// connection's current input node while it is idle, so the node is small;
// it grows with the traffic (netpoll sizes new nodes by the bytes read
// between two Releases), and once that passes the page size netpoll drops
// the big node again when the buffer drains. Measured with 5,000 idle
// WebSockets (docs/bench-idle.md): 8 KiB nodes cost 8.1 KiB RSS per socket,
// 1 KiB nodes 4.6 KiB, 256 B nodes 3.9 KiB.
const inputNodeSize = 256

var configureOnce sync.Once

// readWorkers bounds the goroutines that run netpoll's read callbacks:
// max(64, 16 × GOMAXPROCS).
func readWorkers() int32 {
	return int32(max(64, 16*runtime.GOMAXPROCS(0)))
}

// configureNetpoll sets netpoll's process-wide tuning before the first
// connection exists. netpoll's Runner is called from the poller goroutine
// for every connection with input; it must never block. netpoll's default,
// an unbounded gopool, starts one goroutine per connection active at the
// same moment, so a burst of activity sets how many goroutines the process
// ever had (the runtime keeps a descriptor for each, for good). This
// runner is a gopool capped at readWorkers: the call only queues the task
// and starts a worker while fewer than the cap run, and the callbacks it
// runs never block (poller's read path hands handlers to executors).
func configureNetpoll() {
	configureOnce.Do(func() {
		netpoll.LinkBufferCap = inputNodeSize
		reads := gopool.NewPool("siogate-read", readWorkers(), gopool.NewConfig())
		_ = netpoll.Configure(netpoll.Config{BufferSize: inputNodeSize, Runner: reads.CtxGo})
		shareNetpollBarrier()
	})
}

// Server accepts TCP connections on a netpoll reactor, upgrades WebSocket
// handshakes inside the reactor and hands every other HTTP request to a
// standard net/http server on the same port.
//
// An idle upgraded socket owns no goroutine, no read buffer and no runtime
// timer. Create one with New; Serve it on a listener; stop it with Shutdown.
type Server struct {
	opts      Options
	wheel     *Wheel
	ownWheel  bool
	loop      netpoll.EventLoop
	httpSrv   *http.Server
	httpLn    *chanListener
	backlog   backlogSet
	flush     flushers
	shards    [registryShards]registryShard
	stats     counters
	draining  atomic.Bool
	serving   atomic.Bool
	closeOnce sync.Once
	wg        sync.WaitGroup // goroutines the server owns
}

// New validates o, fills its defaults and builds a Server.
func New(o Options) (*Server, error) {
	o.setDefaults()
	if o.MaxHeaderBytes < 256 {
		return nil, errors.New("poller: MaxHeaderBytes below 256")
	}
	configureNetpoll()
	s := &Server{opts: o, wheel: o.Wheel}
	if s.wheel == nil {
		s.wheel, s.ownWheel = NewWheel(0), true
	}
	for i := range s.shards {
		for set := range s.shards[i].sets {
			s.shards[i].sets[set].m = make(map[*Conn]struct{})
		}
	}
	s.backlog.init(s)
	if !o.InlineWrites {
		s.flush.start(o.FlushWorkers)
	}
	s.httpLn = newChanListener()
	handler := o.HTTP
	if handler == nil {
		handler = http.NotFoundHandler()
	}
	s.httpSrv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: o.HandshakeTimeout,
		IdleTimeout:       o.HTTPIdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		ErrorLog:          nil,
	}
	loop, err := netpoll.NewEventLoop(s.onRequest,
		netpoll.WithOnPrepare(s.onPrepare),
	)
	if err != nil {
		return nil, fmt.Errorf("poller: event loop: %w", err)
	}
	s.loop = loop
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.httpSrv.Serve(s.httpLn)
	}()
	go func() {
		defer s.wg.Done()
		s.backlog.run()
	}()
	return s, nil
}

// Wheel returns the timing wheel that drives the server's deadlines; upper
// layers schedule their own timers (heartbeats, ack timeouts) on it.
func (s *Server) Wheel() *Wheel { return s.wheel }

// Options returns the options in force (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Serve accepts connections on ln until Shutdown. ln must be a TCP listener.
func (s *Server) Serve(ln net.Listener) error {
	if s.draining.Load() {
		return ErrServerClosed
	}
	s.serving.Store(true)
	err := s.loop.Serve(ln)
	if s.draining.Load() {
		return ErrServerClosed
	}
	return err
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Shutdown stops accepting, sends close 1001 to every WebSocket, waits for
// them to close and for handed-off HTTP connections to finish, until ctx is
// done; then forces what is left. It returns ctx.Err() if it had to force.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		s.Range(func(c *Conn) bool {
			c.closeWith(ErrServerClosed, closeGoingAway)
			return true
		})
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
	wait:
		for s.Len() > 0 || s.closeIdleDirect() > 0 {
			select {
			case <-ctx.Done():
				err = ctx.Err()
				for set := range numSets {
					s.each(set, func(c *Conn) bool {
						c.Abort(ErrServerClosed)
						return true
					})
				}
				break wait
			case <-tick.C:
			}
		}
		if herr := s.httpSrv.Shutdown(ctx); herr != nil && err == nil {
			err = herr
			_ = s.httpSrv.Close()
		}
		if s.serving.Load() {
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = s.loop.Shutdown(sctx)
			cancel()
		}
		s.httpLn.Close()
		s.backlog.stop()
		if !s.opts.InlineWrites {
			s.flush.stop()
		}
		s.wg.Wait()
		if s.ownWheel {
			s.wheel.Close()
		}
	})
	return err
}

// onPrepare runs on the poller goroutine for every accepted connection.
func (s *Server) onPrepare(nc netpoll.Connection) context.Context {
	c := &Conn{srv: s, nc: nc}
	c.ctx = connCtx{Context: context.Background(), c: c}
	if fc, ok := nc.(interface{ Fd() int }); ok {
		c.fd = int32(fc.Fd())
	}
	s.stats.accepted.Add(1)
	s.stats.sniffing.Add(1)
	_ = nc.AddCloseCallback(c.closeCallback)
	c.timer.Init(c.onTimer)
	s.wheel.Reset(&c.timer, s.opts.HandshakeTimeout)
	if s.draining.Load() {
		_ = nc.Close()
	}
	return &c.ctx
}

// Len reports the number of open WebSockets.
func (s *Server) Len() int { return s.count(setWS) }

// Range calls fn for a snapshot of the open WebSockets until fn returns
// false. fn runs without any server lock held, so it may write or close.
func (s *Server) Range(fn func(c *Conn) bool) { s.each(setWS, fn) }

const registryShards = 64

// The connection sets of the registry.
const (
	setWS     = iota // open WebSockets (Len, Range)
	setDirect        // connections in stateDirect (Shutdown closes the idle ones)
	numSets
)

// connSet is one set of connections in a registry shard; its map is
// rebuilt after a peak (internal/shrink).
type connSet struct {
	m    map[*Conn]struct{}
	peak shrink.Peak
}

type registryShard struct {
	mu   sync.Mutex
	sets [numSets]connSet
}

func (s *Server) shardOf(c *Conn) *registryShard {
	return &s.shards[uint(c.fd)%registryShards]
}

func (s *Server) track(set int, c *Conn) {
	sh := s.shardOf(c)
	sh.mu.Lock()
	cs := &sh.sets[set]
	cs.m[c] = struct{}{}
	cs.peak.Grew(len(cs.m))
	sh.mu.Unlock()
}

func (s *Server) untrack(set int, c *Conn) {
	sh := s.shardOf(c)
	sh.mu.Lock()
	cs := &sh.sets[set]
	shrink.Delete(&cs.m, &cs.peak, c)
	sh.mu.Unlock()
}

// count reports the size of a set.
func (s *Server) count(set int) int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.sets[set].m)
		sh.mu.Unlock()
	}
	return n
}

// each calls fn for a snapshot of a set until fn returns false, without
// any server lock held.
func (s *Server) each(set int, fn func(c *Conn) bool) {
	var buf []*Conn
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		buf = buf[:0]
		for c := range sh.sets[set].m {
			buf = append(buf, c)
		}
		sh.mu.Unlock()
		for _, c := range buf {
			if !fn(c) {
				return
			}
		}
	}
}

// closeIdleDirect closes the direct connections that wait for no answer and
// reports how many are left.
func (s *Server) closeIdleDirect() int {
	left := 0
	s.each(setDirect, func(c *Conn) bool {
		if !c.closeIdleDirect() {
			left++
		}
		return true
	})
	return left
}
