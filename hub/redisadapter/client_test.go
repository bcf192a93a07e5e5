package redisadapter_test

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

// waitTimeout bounds every wait of the tests. It is generous on purpose:
// the tests assert that things happen, never that they happen fast.
const waitTimeout = 10 * time.Second

// startServer builds a server from o, serves it on 127.0.0.1:0 and shuts it
// down at the end of the test.
func startServer(t testing.TB, o hub.Options) (*hub.Server, string) {
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
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return srv, ln.Addr().String()
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// packet is one Socket.IO packet received by the test client, with its
// binary attachments already collected.
type packet struct {
	Text string // the Engine.IO message as received, without the leading "4"
	Type byte   // '0' CONNECT ... '6' BINARY_ACK
	Nsp  string
	ID   int64  // -1: none
	Data string // the JSON payload, as received
	Atts [][]byte
}

// event returns the event name and raw arguments of an EVENT.
func (p packet) event() (string, []json.RawMessage) {
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(p.Data), &arr); err != nil || len(arr) == 0 {
		return "", nil
	}
	var name string
	_ = json.Unmarshal(arr[0], &name)
	return name, arr[1:]
}

// name is the event name of an EVENT ("" for other packets).
func (p packet) name() string {
	if p.Type != '2' && p.Type != '5' {
		return ""
	}
	n, _ := p.event()
	return n
}

// parsePacket reads the header of a Socket.IO packet:
// <type>[<attachments>-][<nsp>,][<id>]<json>.
func parsePacket(s string) (packet, int, error) {
	p := packet{Text: s, Nsp: "/", ID: -1}
	if s == "" || s[0] < '0' || s[0] > '6' {
		return p, 0, fmt.Errorf("bad packet %q", s)
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
type client struct {
	fatalf func(format string, args ...any)
	conn   net.Conn
	sid    string // Engine.IO session id

	wmu    sync.Mutex
	noPong atomic.Bool

	packets chan packet
	done    chan struct{} // closed when the read loop ends
	code    ws.StatusCode // close code received (0: none); read after done
	readErr error         // why the read loop ended; read after done
}

// dial opens a WebSocket session on the server at addr and reads the
// Engine.IO open packet.
func dial(t testing.TB, addr string) *client {
	t.Helper()
	c, err := dialClient(addr, t.Fatalf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	return c
}

func dialClient(addr string, fatalf func(string, ...any)) (*client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, br, _, err := ws.Dialer{}.Dial(ctx, "ws://"+addr+"/socket.io/?EIO=4&transport=websocket")
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	var r io.Reader = conn
	if br != nil {
		r = br
	}
	c := &client{fatalf: fatalf, conn: conn, packets: make(chan packet, 4096), done: make(chan struct{})}
	open := make(chan string, 1)
	go c.readLoop(bufio.NewReader(r), open)
	select {
	case text := <-open:
		var h struct{ SID string }
		if err := json.Unmarshal([]byte(text), &h); err != nil || h.SID == "" {
			conn.Close()
			return nil, fmt.Errorf("bad open packet %q", text)
		}
		c.sid = h.SID
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("closed before the open packet: %v", c.readErr)
	case <-time.After(waitTimeout):
		conn.Close()
		return nil, errors.New("no open packet")
	}
}

// readLoop reads server frames: Engine.IO pings are answered, messages are
// assembled into Socket.IO packets (a binary packet waits for its
// attachments) and queued on c.packets.
func (c *client) readLoop(r *bufio.Reader, open chan<- string) {
	defer close(c.done)
	var (
		pending packet
		want    int
		msg     []byte
		msgOp   ws.OpCode
	)
	for {
		f, err := ws.ReadFrame(r)
		if err != nil {
			c.readErr = err
			return
		}
		switch f.Header.OpCode {
		case ws.OpClose:
			c.code, _ = ws.ParseCloseFrameData(f.Payload)
			c.readErr = io.EOF
			c.writeFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(c.code, "")))
			return
		case ws.OpPing:
			c.writeFrame(ws.NewPongFrame(f.Payload))
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
				c.readErr = errors.New("unexpected binary message")
				return
			}
			pending.Atts = append(pending.Atts, data)
			if want--; want == 0 {
				c.packets <- pending
			}
			continue
		}
		if len(data) == 0 {
			c.readErr = errors.New("empty text message")
			return
		}
		switch data[0] {
		case '0':
			open <- string(data[1:])
		case '2':
			if !c.noPong.Load() {
				c.writeFrame(ws.NewTextFrame([]byte("3")))
			}
		case '4':
			p, n, err := parsePacket(string(data[1:]))
			if err != nil {
				c.readErr = err
				return
			}
			if n == 0 {
				c.packets <- p
			} else {
				pending, want = p, n
			}
		default:
			c.readErr = fmt.Errorf("unexpected Engine.IO packet %q", data)
			return
		}
	}
}

func (c *client) writeFrame(f ws.Frame) error {
	f.Payload = append([]byte(nil), f.Payload...) // masking works in place
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	return ws.WriteFrame(c.conn, ws.MaskFrameInPlace(f))
}

// sendText sends one Engine.IO message packet: "4" + s.
func (c *client) sendText(s string) {
	if err := c.writeFrame(ws.NewTextFrame([]byte("4" + s))); err != nil {
		c.fatalf("write %q: %v", s, err)
	}
}

// sendBinary sends one binary Engine.IO message (an attachment).
func (c *client) sendBinary(b []byte) {
	if err := c.writeFrame(ws.NewBinaryFrame(b)); err != nil {
		c.fatalf("write binary: %v", err)
	}
}

// prefix is the namespace part of a packet header.
func prefix(nsp string) string {
	if nsp == "" || nsp == "/" {
		return ""
	}
	return nsp + ","
}

// connect sends CONNECT for nsp with auth (raw JSON, "" for none) and
// returns the server's answer (CONNECT or CONNECT_ERROR).
func (c *client) connect(nsp, auth string) packet {
	c.sendText("0" + prefix(nsp) + auth)
	p := c.next()
	if (p.Type != '0' && p.Type != '4') || p.Nsp != nspName(nsp) {
		c.fatalf("CONNECT %s: got %q", nsp, p.Text)
	}
	return p
}

// join connects nsp and returns the socket id, failing on CONNECT_ERROR.
func (c *client) join(nsp, auth string) string {
	p := c.connect(nsp, auth)
	if p.Type != '0' {
		c.fatalf("CONNECT %s refused: %q", nsp, p.Text)
	}
	var reply struct{ SID string }
	if err := json.Unmarshal([]byte(p.Data), &reply); err != nil || reply.SID == "" {
		c.fatalf("CONNECT %s: bad reply %q", nsp, p.Text)
	}
	return reply.SID
}

func nspName(nsp string) string {
	if nsp == "" {
		return "/"
	}
	return nsp
}

// jsonArgs encodes event arguments (json.RawMessage is written as is).
func (c *client) jsonArgs(event string, args []any) string {
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
			c.fatalf("encode %v: %v", a, err)
		}
		b.Write(v)
	}
	b.WriteByte(']')
	return b.String()
}

func idText(id int64) string {
	if id < 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// emit sends EVENT event(args...) on nsp; id >= 0 asks for an ack.
func (c *client) emit(nsp string, id int64, event string, args ...any) {
	c.sendText("2" + prefix(nsp) + idText(id) + c.jsonArgs(event, args))
}

// emitBinary sends a BINARY_EVENT whose JSON payload (placeholders
// included) is data, followed by the attachments.
func (c *client) emitBinary(nsp string, id int64, data string, atts ...[]byte) {
	c.sendText("5" + strconv.Itoa(len(atts)) + "-" + prefix(nsp) + idText(id) + data)
	for _, a := range atts {
		c.sendBinary(a)
	}
}

// ack answers the server's ack id on nsp.
func (c *client) ack(nsp string, id int64, args ...any) {
	c.sendText("3" + prefix(nsp) + idText(id) + c.jsonArgs("", args))
}

// leave sends DISCONNECT for nsp.
func (c *client) leave(nsp string) { c.sendText("1" + prefix(nsp)) }

// next returns the next Socket.IO packet.
func (c *client) next() packet {
	select {
	case p := <-c.packets:
		return p
	case <-c.done:
		select {
		case p := <-c.packets:
			return p
		default:
		}
		c.fatalf("connection closed while waiting for a packet: %v (close code %d)", c.readErr, c.code)
	case <-time.After(waitTimeout):
		c.fatalf("no packet within %v", waitTimeout)
	}
	return packet{}
}

// expect reads the next packet and checks its text.
func (c *client) expect(text string) packet {
	p := c.next()
	if p.Text != text {
		c.fatalf("got %q, want %q", p.Text, text)
	}
	return p
}

// expectEvent reads the next packet and checks that it is event name.
func (c *client) expectEvent(name string) packet {
	p := c.next()
	if p.name() != name {
		c.fatalf("got %q, want event %q", p.Text, name)
	}
	return p
}

// waitClosed waits for the server to end the connection and returns the
// WebSocket close code it sent (0 when the TCP connection just ended).
// Packets still queued are discarded.
func (c *client) waitClosed() ws.StatusCode {
	timeout := time.After(waitTimeout)
	for {
		select {
		case <-c.packets:
		case <-c.done:
			return c.code
		case <-timeout:
			c.fatalf("connection still open after %v", waitTimeout)
			return 0
		}
	}
}

// close ends the TCP connection without a WebSocket close handshake.
func (c *client) close() {
	_ = c.conn.Close()
	<-c.done
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
