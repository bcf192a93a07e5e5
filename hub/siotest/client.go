// Package siotest is a Socket.IO test kit for tests of hub servers and of
// applications built on them, in the spirit of net/http/httptest: a strict
// WebSocket Engine.IO v4 / Socket.IO v5 client whose every wait is bounded,
// a server starter on 127.0.0.1 and a goroutine leak check. Its functions
// fail the test instead of returning errors.
package siotest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/hub"
)

// WaitTimeout bounds every wait of the tests. It is generous on purpose:
// the tests assert that things happen, never that they happen fast.
const WaitTimeout = 10 * time.Second

// StartServer builds a server from o, serves it on 127.0.0.1:0 and shuts it
// down at the end of the test.
func StartServer(t testing.TB, o hub.Options) (*hub.Server, string) {
	t.Helper()
	srv, err := hub.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln, nil)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
		select {
		case <-done:
		case <-time.After(WaitTimeout):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return srv, ln.Addr().String()
}

// WaitFor polls cond until it holds or WaitTimeout passes.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Packet is one Socket.IO Packet received by the test client, with its
// binary attachments already collected.
type Packet struct {
	Text string // the Engine.IO message as received, without the leading "4"
	Type byte   // '0' CONNECT ... '6' BINARY_ACK
	Nsp  string
	ID   int64  // -1: none
	Data string // the JSON payload, as received
	Atts [][]byte
}

// Event returns the event name and raw arguments of an EVENT.
func (p Packet) Event() (string, []json.RawMessage) {
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(p.Data), &arr); err != nil || len(arr) == 0 {
		return "", nil
	}
	var name string
	_ = json.Unmarshal(arr[0], &name)
	return name, arr[1:]
}

// Name is the event name of an EVENT ("" for other packets).
func (p Packet) Name() string {
	if p.Type != '2' && p.Type != '5' {
		return ""
	}
	n, _ := p.Event()
	return n
}

// ParsePacket reads the header of a Socket.IO Packet:
// <type>[<attachments>-][<nsp>,][<id>]<json>.
func ParsePacket(s string) (Packet, int, error) {
	p := Packet{Text: s, Nsp: "/", ID: -1}
	if s == "" || s[0] < '0' || s[0] > '6' {
		return p, 0, fmt.Errorf("bad Packet %q", s)
	}
	p.Type = s[0]
	i, atts := 1, 0
	if p.Type == '5' || p.Type == '6' {
		j := strings.IndexByte(s, '-')
		if j < 0 {
			return p, 0, fmt.Errorf("bad binary header %q", s)
		}
		n, err := strconv.Atoi(s[1:j])
		if err != nil {
			return p, 0, fmt.Errorf("bad attachment count %q", s)
		}
		atts, i = n, j+1
	}
	if i < len(s) && s[i] == '/' {
		j := strings.IndexByte(s[i:], ',')
		if j < 0 {
			p.Nsp, i = s[i:], len(s)
		} else {
			p.Nsp, i = s[i:i+j], i+j+1
		}
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j > i {
		p.ID, _ = strconv.ParseInt(s[i:j], 10, 64)
	}
	p.Data = s[j:]
	return p, atts, nil
}

// client speaks Engine.IO v4 + Socket.IO v5 over a WebSocket, as a test
// client should: strictly, and with every wait bounded. It answers pings
// by itself. Its methods are called from one goroutine (the test's).
type Client struct {
	// Fatalf reports failures; tests point it at a subtest's t.Fatalf.
	Fatalf func(format string, args ...any)
	Conn   net.Conn // the raw connection
	SID    string   // Engine.IO session id
	// NoPong, when set, stops the client answering pings.
	NoPong atomic.Bool

	wmu sync.Mutex

	// Packets queues the received Socket.IO packets.
	Packets chan Packet
	Done    chan struct{} // closed when the read loop ends
	Code    ws.StatusCode // close code received (0: none); read after done
	ReadErr error         // why the read loop ended; read after done
}

// Dial opens a WebSocket session on the server at addr and reads the
// Engine.IO open packet.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	c, err := DialClient(addr, t.Fatalf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// DialClient is Dial without a test: failures are returned, and later
// ones go to fatalf.
func DialClient(addr string, fatalf func(string, ...any)) (*Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	conn, br, _, err := ws.Dialer{}.Dial(ctx, "ws://"+addr+"/socket.io/?EIO=4&transport=websocket")
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	var r io.Reader = conn
	if br != nil {
		r = br
	}
	c := &Client{Fatalf: fatalf, Conn: conn, Packets: make(chan Packet, 4096), Done: make(chan struct{})}
	open := make(chan string, 1)
	go c.readLoop(bufio.NewReader(r), open)
	select {
	case text := <-open:
		var h struct{ SID string }
		if err := json.Unmarshal([]byte(text), &h); err != nil || h.SID == "" {
			conn.Close()
			return nil, fmt.Errorf("bad open Packet %q", text)
		}
		c.SID = h.SID
		return c, nil
	case <-c.Done:
		return nil, fmt.Errorf("closed before the open Packet: %v", c.ReadErr)
	case <-time.After(WaitTimeout):
		conn.Close()
		return nil, errors.New("no open Packet")
	}
}

// readLoop reads server frames: Engine.IO pings are answered, messages are
// assembled into Socket.IO packets (a binary Packet waits for its
// attachments) and queued on c.Packets.
func (c *Client) readLoop(r *bufio.Reader, open chan<- string) {
	defer close(c.Done)
	var (
		pending Packet
		want    int
		msg     []byte
		msgOp   ws.OpCode
	)
	for {
		f, err := ws.ReadFrame(r)
		if err != nil {
			c.ReadErr = err
			return
		}
		switch f.Header.OpCode {
		case ws.OpClose:
			c.Code, _ = ws.ParseCloseFrameData(f.Payload)
			c.ReadErr = io.EOF
			c.WriteFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(c.Code, "")))
			return
		case ws.OpPing:
			c.WriteFrame(ws.NewPongFrame(f.Payload))
			continue
		case ws.OpPong:
			continue
		case ws.OpText, ws.OpBinary:
			msg, msgOp = append(msg[:0], f.Payload...), f.Header.OpCode
		case ws.OpContinuation:
			msg = append(msg, f.Payload...)
		}
		if !f.Header.Fin {
			continue
		}
		data := append([]byte(nil), msg...)
		if msgOp == ws.OpBinary {
			if want == 0 {
				c.ReadErr = errors.New("unexpected binary message")
				return
			}
			pending.Atts = append(pending.Atts, data)
			if want--; want == 0 {
				c.Packets <- pending
			}
			continue
		}
		if len(data) == 0 {
			c.ReadErr = errors.New("empty text message")
			return
		}
		switch data[0] {
		case '0':
			open <- string(data[1:])
		case '2':
			if !c.NoPong.Load() {
				c.WriteFrame(ws.NewTextFrame([]byte("3")))
			}
		case '4':
			p, n, err := ParsePacket(string(data[1:]))
			if err != nil {
				c.ReadErr = err
				return
			}
			if n == 0 {
				c.Packets <- p
			} else {
				pending, want = p, n
			}
		default:
			c.ReadErr = fmt.Errorf("unexpected Engine.IO packet %q", data)
			return
		}
	}
}

// WriteFrame masks and writes one frame (safe for concurrent use).
func (c *Client) WriteFrame(f ws.Frame) error {
	f.Payload = append([]byte(nil), f.Payload...) // masking works in place
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(WaitTimeout))
	return ws.WriteFrame(c.Conn, ws.MaskFrameInPlace(f))
}

// SendText sends one Engine.IO message packet: "4" + s.
func (c *Client) SendText(s string) {
	if err := c.WriteFrame(ws.NewTextFrame([]byte("4" + s))); err != nil {
		c.Fatalf("write %q: %v", s, err)
	}
}

// SendBinary sends one binary Engine.IO message (an attachment).
func (c *Client) SendBinary(b []byte) {
	if err := c.WriteFrame(ws.NewBinaryFrame(b)); err != nil {
		c.Fatalf("write binary: %v", err)
	}
}

// prefix is the namespace part of a Packet header.
func Prefix(nsp string) string {
	if nsp == "" || nsp == "/" {
		return ""
	}
	return nsp + ","
}

// Connect sends CONNECT for nsp with auth (raw JSON, "" for none) and
// returns the server's answer (CONNECT or CONNECT_ERROR).
func (c *Client) Connect(nsp, auth string) Packet {
	c.SendText("0" + Prefix(nsp) + auth)
	p := c.Next()
	if (p.Type != '0' && p.Type != '4') || p.Nsp != NspName(nsp) {
		c.Fatalf("CONNECT %s: got %q", nsp, p.Text)
	}
	return p
}

// Join connects nsp and returns the socket id, failing on CONNECT_ERROR.
func (c *Client) Join(nsp, auth string) string {
	p := c.Connect(nsp, auth)
	if p.Type != '0' {
		c.Fatalf("CONNECT %s refused: %q", nsp, p.Text)
	}
	var reply struct{ SID string }
	if err := json.Unmarshal([]byte(p.Data), &reply); err != nil || reply.SID == "" {
		c.Fatalf("CONNECT %s: bad reply %q", nsp, p.Text)
	}
	return reply.SID
}

// NspName is the namespace name as the server writes it ("/" for "").
func NspName(nsp string) string {
	if nsp == "" {
		return "/"
	}
	return nsp
}

// JSONArgs encodes event arguments (json.RawMessage is written as is).
func (c *Client) JSONArgs(event string, args []any) string {
	var b strings.Builder
	b.WriteByte('[')
	if event != "" {
		name, _ := json.Marshal(event)
		b.Write(name)
	}
	for i, a := range args {
		if i > 0 || event != "" {
			b.WriteByte(',')
		}
		v, err := json.Marshal(a)
		if err != nil {
			c.Fatalf("encode %v: %v", a, err)
		}
		b.Write(v)
	}
	b.WriteByte(']')
	return b.String()
}

// IDText is the ack id part of a packet header ("" for a negative id).
func IDText(id int64) string {
	if id < 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// Emit sends EVENT event(args...) on nsp; id >= 0 asks for an ack.
func (c *Client) Emit(nsp string, id int64, event string, args ...any) {
	c.SendText("2" + Prefix(nsp) + IDText(id) + c.JSONArgs(event, args))
}

// EmitBinary sends a BINARY_EVENT whose JSON payload (placeholders
// included) is data, followed by the attachments.
func (c *Client) EmitBinary(nsp string, id int64, data string, atts ...[]byte) {
	c.SendText("5" + strconv.Itoa(len(atts)) + "-" + Prefix(nsp) + IDText(id) + data)
	for _, a := range atts {
		c.SendBinary(a)
	}
}

// Ack answers the server's ack id on nsp.
func (c *Client) Ack(nsp string, id int64, args ...any) {
	c.SendText("3" + Prefix(nsp) + IDText(id) + c.JSONArgs("", args))
}

// Leave sends DISCONNECT for nsp.
func (c *Client) Leave(nsp string) { c.SendText("1" + Prefix(nsp)) }

// Next returns the next Socket.IO Packet.
func (c *Client) Next() Packet {
	select {
	case p := <-c.Packets:
		return p
	case <-c.Done:
		select {
		case p := <-c.Packets:
			return p
		default:
		}
		c.Fatalf("connection closed while waiting for a Packet: %v (close code %d)", c.ReadErr, c.Code)
	case <-time.After(WaitTimeout):
		c.Fatalf("no Packet within %v", WaitTimeout)
	}
	return Packet{}
}

// Expect reads the next Packet and checks its text.
func (c *Client) Expect(text string) Packet {
	p := c.Next()
	if p.Text != text {
		c.Fatalf("got %q, want %q", p.Text, text)
	}
	return p
}

// ExpectEvent reads the next Packet and checks that it is event name.
func (c *Client) ExpectEvent(name string) Packet {
	p := c.Next()
	if p.Name() != name {
		c.Fatalf("got %q, want event %q", p.Text, name)
	}
	return p
}

// WaitClosed waits for the server to end the connection and returns the
// WebSocket close code it sent (0 when the TCP connection just ended).
// Packets still queued are discarded.
func (c *Client) WaitClosed() ws.StatusCode {
	timeout := time.After(WaitTimeout)
	for {
		select {
		case <-c.Packets:
		case <-c.Done:
			return c.Code
		case <-timeout:
			c.Fatalf("connection still open after %v", WaitTimeout)
			return 0
		}
	}
}

// Close ends the TCP connection without a WebSocket close handshake.
func (c *Client) Close() {
	_ = c.Conn.Close()
	<-c.Done
}

// MustJSON encodes v or fails the test.
func MustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// JoinSession connects nsp like Join and also returns the private session
// id of connection state recovery ("" when the server has it off).
func (c *Client) JoinSession(nsp, auth string) (sid, pid string) {
	p := c.Connect(nsp, auth)
	if p.Type != '0' {
		c.Fatalf("CONNECT %s refused: %q", nsp, p.Text)
	}
	var reply struct{ SID, PID string }
	if err := json.Unmarshal([]byte(p.Data), &reply); err != nil || reply.SID == "" {
		c.Fatalf("CONNECT %s: bad reply %q", nsp, p.Text)
	}
	return reply.SID, reply.PID
}

// Offset returns the last argument of an EVENT when it is a string: the
// connection state recovery offset, when the server records the packet.
func (p Packet) Offset() string {
	_, args := p.Event()
	if len(args) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(args[len(args)-1], &s) != nil {
		return ""
	}
	return s
}
