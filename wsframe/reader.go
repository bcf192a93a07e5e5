package wsframe

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// Kind says what Reader.Next found.
type Kind uint8

// Kinds of Event.
const (
	// KindNone: a non-final fragment was consumed into the assembly buffer;
	// there is nothing to deliver yet.
	KindNone Kind = iota
	// KindMessage: a complete text or binary message.
	KindMessage
	// KindPing: a ping; answer with a pong carrying the same payload.
	KindPing
	// KindPong: a pong.
	KindPong
	// KindClose: the peer's close frame, validated.
	KindClose
)

var kindNames = [...]string{"none", "message", "ping", "pong", "close"}

// String returns the kind's name in lower case, as used in logs.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Event is what Reader.Next found in one frame.
type Event struct {
	Kind Kind
	// Op is ws.OpText or ws.OpBinary for KindMessage and KindNone (the
	// message being assembled), and the frame's opcode for control frames.
	Op ws.OpCode
	// Payload is the unmasked message, ping or pong payload, or close reason.
	// It aliases the caller's bytes or the Reader's assembly buffer and is
	// valid only until the next call to Next or Reset.
	Payload []byte
	// Code is, for KindClose, the code the peer sent, or ws.StatusNoStatusRcvd
	// if its close frame had no body.
	Code ws.StatusCode
}

// Reader parses client frames from a byte slice and assembles fragmented
// messages. It owns no goroutine and never blocks: when the bytes run out it
// says so and forgets about them, and the caller comes back with more.
//
// The zero value is ready to use: no size limit, text messages validated.
// The assembly buffer for fragmented messages grows to the largest such
// message seen and is kept for the next one until Reset releases it.
// A Reader serves one connection and is not safe for concurrent use.
// After Next returned an error the connection is done: answer the error
// and close, do not call Next again without Reset.
type Reader struct {
	// MaxMessageSize, when > 0, caps the payload of a data message: one
	// frame, or the sum of a fragmented message's frames. A frame that would
	// go over it is rejected with ErrMessageTooBig (close 1009) as soon as its
	// header is complete, before its payload arrives, so the caller never has
	// to buffer it.
	MaxMessageSize int
	// SkipUTF8Check turns off the UTF-8 validation of text messages. Close
	// reasons are validated regardless.
	SkipUTF8Check bool

	fragmented bool      // a message's first fragment was seen, not its last
	op         ws.OpCode // opcode of the message being assembled
	buf        []byte    // assembly buffer, reused across messages
}

// Next parses at most one frame at the start of b. The results are:
//
//   - n == 0, err == nil: b does not hold a complete frame yet. b is left
//     untouched and nothing about it is remembered; call again with the same
//     bytes and more appended. Need(b) tells how many bytes the frame needs.
//   - n > 0, err == nil: one frame of n bytes was consumed and its payload
//     unmasked in place in b. ev says what it was; see Kind. An unfragmented
//     message, a ping, a pong and a close reason alias b; a fragmented message
//     is returned in the Reader's assembly buffer.
//   - err != nil: the peer broke the protocol; err is a *CloseError whose
//     Code the server sends back before closing. Header violations are
//     reported as soon as the header is complete.
func (r *Reader) Next(b []byte) (ev Event, n int, err error) {
	h, hn, err := ParseHeader(b)
	if err != nil {
		return ev, 0, err
	}
	if hn == 0 {
		return ev, 0, nil
	}
	state := ws.StateServerSide
	if r.fragmented {
		state |= ws.StateFragmented
	}
	if err := ws.CheckHeader(h, state); err != nil {
		return ev, 0, headerError(err)
	}
	if h.Length > int64(math.MaxInt-hn) {
		return ev, 0, ErrMessageTooBig
	}
	if r.MaxMessageSize > 0 && h.OpCode.IsData() {
		room := r.MaxMessageSize
		if h.OpCode == ws.OpContinuation {
			room -= len(r.buf)
		}
		if h.Length > int64(room) {
			return ev, 0, ErrMessageTooBig
		}
	}
	n = hn + int(h.Length)
	if len(b) < n {
		return ev, 0, nil
	}
	p := b[hn:n:n]
	ws.Cipher(p, h.Mask, 0)

	switch h.OpCode {
	case ws.OpPing:
		return Event{Kind: KindPing, Op: ws.OpPing, Payload: p}, n, nil
	case ws.OpPong:
		return Event{Kind: KindPong, Op: ws.OpPong, Payload: p}, n, nil
	case ws.OpClose:
		code, reason, err := parseClose(p)
		if err != nil {
			return Event{}, 0, err
		}
		return Event{Kind: KindClose, Op: ws.OpClose, Payload: reason, Code: code}, n, nil
	case ws.OpContinuation:
		r.buf = append(r.buf, p...)
		if !h.Fin {
			return Event{Kind: KindNone, Op: r.op}, n, nil
		}
		r.fragmented = false
		return r.message(r.op, r.buf, n)
	}
	// ws.OpText or ws.OpBinary: CheckHeader let no other opcode through.
	if !h.Fin {
		r.fragmented = true
		r.op = h.OpCode
		r.buf = append(r.buf[:0], p...)
		return Event{Kind: KindNone, Op: r.op}, n, nil
	}
	return r.message(h.OpCode, p, n)
}

// message delivers a complete data message after checking its UTF-8.
func (r *Reader) message(op ws.OpCode, p []byte, n int) (Event, int, error) {
	if op == ws.OpText && !r.SkipUTF8Check && !utf8.Valid(p) {
		return Event{}, 0, ErrInvalidUTF8
	}
	return Event{Kind: KindMessage, Op: op, Payload: p}, n, nil
}

// Reset drops a partially assembled message and releases the assembly
// buffer, for a connection that goes idle or closes. The limits are kept.
func (r *Reader) Reset() {
	r.fragmented = false
	r.op = 0
	r.buf = nil
}
