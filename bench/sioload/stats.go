package sioload

import (
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// Result summarises a Connect.
type Result struct {
	// Connected is the number of sockets that became ready.
	Connected int `json:"connected"`
	// Failed is the number given up.
	Failed int `json:"failed"`
	// Retries counts attempts repeated after a transient error.
	Retries int `json:"retries"`
	// Elapsed is the wall time of the whole Connect.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Errors counts the failed sockets by the class of their last error
	// (see ErrorClass).
	Errors map[string]int `json:"errors,omitempty"`
	// FirstError is the text of the first error that made a socket fail.
	FirstError string `json:"first_error,omitempty"`
	// Handshake holds, per ready socket, the microseconds from its first
	// attempt to ready (TCP connect, upgrade, Engine.IO open, Socket.IO
	// CONNECT, retries included).
	Handshake Histogram `json:"handshake_us"`
}

// Stats is what a Loader saw since its last Mark. Latencies are in
// microseconds, from the stamp in the payload (the sender's wall clock at
// send time, or the scheduled send time for echoes) to the receive.
type Stats struct {
	// MarkNs and NowNs are the wall-clock times (Unix ns) of the Mark and of
	// this snapshot.
	MarkNs int64 `json:"mark_ns"`
	NowNs  int64 `json:"now_ns"`

	// Ready is the number of sockets ready now.
	Ready int `json:"ready"`
	// Closed counts ready sockets lost since the mark, by reason in
	// CloseReasons ("eof", "reset", "close-1008" (a WebSocket close frame
	// and its code), "eio-close", "sio-disconnect", "protocol", ...).
	Closed       int            `json:"closed"`
	CloseReasons map[string]int `json:"close_reasons,omitempty"`
	// Pings is the number of Engine.IO pings answered.
	Pings int64 `json:"pings"`
	// Messages and RecvBytes count the WebSocket data messages received and
	// their payload bytes; Other the messages the loader did not measure.
	Messages  int64 `json:"messages"`
	RecvBytes int64 `json:"recv_bytes"`
	Other     int64 `json:"other"`

	// Deliveries is the number of broadcast messages received;
	// Broadcasts has one entry per broadcast id seen, in id order.
	Deliveries int64 `json:"deliveries"`
	// Stale counts broadcast messages stamped before the mark: stragglers
	// of the previous measurement, left out of every other figure.
	Stale            int64           `json:"stale,omitempty"`
	Broadcasts       []BroadcastStat `json:"broadcasts,omitempty"`
	BroadcastLatency Histogram       `json:"broadcast_latency_us"`

	// Emitted counts the "broadcast" and "bench:room" events this loader
	// sent in paced runs (Loader.Pace); RoomExpected the deliveries its room
	// broadcasts should make, from the room sizes of the run.
	Emitted      int64 `json:"emitted,omitempty"`
	RoomExpected int64 `json:"room_expected,omitempty"`

	// Stalled is the number of open sockets that Loader.Stall stopped
	// reading (resumed or not); StalledClosed counts those closed since the
	// mark, by reason in StalledReasons. They are not counted in Closed.
	Stalled        int            `json:"stalled,omitempty"`
	StalledClosed  int            `json:"stalled_closed,omitempty"`
	StalledReasons map[string]int `json:"stalled_reasons,omitempty"`

	// Echo run: messages sent, acknowledgements (or raw echoes) received,
	// and the latency of each.
	EchoSent    int64     `json:"echo_sent"`
	EchoAcked   int64     `json:"echo_acked"`
	EchoLatency Histogram `json:"echo_latency_us"`
	// EchoStartNs and EchoEndNs bound the sending of the last echo run.
	EchoStartNs int64 `json:"echo_start_ns,omitempty"`
	EchoEndNs   int64 `json:"echo_end_ns,omitempty"`

	// ProtocolErrors counts sockets closed for a frame or packet the loader
	// could not parse; FirstError holds the first such error.
	ProtocolErrors int64  `json:"protocol_errors"`
	FirstError     string `json:"first_error,omitempty"`
}

// BroadcastStat is what this loader saw of one broadcast.
type BroadcastStat struct {
	ID uint64 `json:"id"`
	// SentNs is the stamp: the sender's wall clock when it wrote the event.
	SentNs int64 `json:"sent_ns"`
	// Count is the number of sockets that received it.
	Count int `json:"count"`
	// LastNs is the wall-clock time of the last receive: LastNs-SentNs is the
	// latency to the last socket of this loader.
	LastNs int64 `json:"last_ns"`
}

// clone returns a deep copy of s.
func (s *Stats) clone() Stats {
	c := *s
	c.CloseReasons = cloneMap(s.CloseReasons)
	c.StalledReasons = cloneMap(s.StalledReasons)
	c.Broadcasts = slices.Clone(s.Broadcasts)
	c.BroadcastLatency.counts = slices.Clone(s.BroadcastLatency.counts)
	c.EchoLatency.counts = slices.Clone(s.EchoLatency.counts)
	return c
}

func cloneMap(m map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// errWouldBlock is EAGAIN from a non-blocking read or write.
var errWouldBlock = errors.New("sioload: would block")

// CloseFrameError is a WebSocket close frame received from the server;
// Code is 0 when the frame carried none.
type CloseFrameError struct{ Code uint16 }

func (e *CloseFrameError) Error() string {
	if e.Code == 0 {
		return "close-frame"
	}
	return "close-" + strconv.Itoa(int(e.Code))
}

// Reasons a ready socket is lost, besides an error class.
var (
	errEIOClose      = errors.New("eio-close")
	errSIODisconnect = errors.New("sio-disconnect")
	errTimeout       = errors.New("timeout")
	errAborted       = errors.New("deadline")
)

// ErrorClass names the kind of err: "refused", "reset", "addrnotavail",
// "fdlimit", "timeout", "eof", "handshake", "connect-error", "protocol",
// "close-<code>" (or "close-frame" without a code), "eio-close",
// "sio-disconnect", "http-<status>", "deadline" or "other".
func ErrorClass(err error) string {
	var ne net.Error
	var cf *CloseFrameError
	var he *httpStatusError
	switch {
	case errors.As(err, &cf):
		return cf.Error()
	case errors.As(err, &he):
		return "http-" + strconv.Itoa(he.status)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return "addrnotavail"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "fdlimit"
	case errors.Is(err, errTimeout), errors.Is(err, syscall.ETIMEDOUT),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF):
		return "eof"
	case errors.Is(err, ErrHandshake):
		return "handshake"
	case errors.Is(err, ErrConnectRefused):
		return "connect-error"
	case errors.Is(err, ErrProtocol), errors.Is(err, ErrTooLarge):
		return "protocol"
	}
	for _, sentinel := range []error{errEIOClose, errSIODisconnect, errAborted} {
		if errors.Is(err, sentinel) {
			return sentinel.Error()
		}
	}
	return "other"
}

// retryable reports whether a handshake that failed with err is worth
// another attempt.
func retryable(err error) bool {
	switch ErrorClass(err) {
	case "refused", "reset", "addrnotavail", "timeout", "eof":
		return true
	}
	return false
}
