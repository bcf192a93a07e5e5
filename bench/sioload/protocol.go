package sioload

import (
	"fmt"
	"time"
)

// onFrame handles one frame from the server.
func (lp *loop) onFrame(c *conn, f frame) {
	switch f.op {
	case opPing:
		lp.sendText(c, opPong, f.payload)
	case opPong:
	case opClose:
		lp.drop(c, errCloseFrame)
	case opText, opBinary:
		if len(c.msg) > 0 {
			lp.protocolError(c, fmt.Errorf("%w: new message inside a fragmented one", ErrProtocol))
			return
		}
		if !f.fin {
			c.msg, c.msgOp = append([]byte(nil), f.payload...), f.op
			return
		}
		lp.onMessage(c, f.op, f.payload)
	case opCont:
		if c.msg == nil {
			lp.protocolError(c, fmt.Errorf("%w: continuation without a message", ErrProtocol))
			return
		}
		if len(c.msg)+len(f.payload) > lp.o.MaxFrame {
			lp.protocolError(c, fmt.Errorf("%w: fragmented message", ErrTooLarge))
			return
		}
		c.msg = append(c.msg, f.payload...)
		if f.fin {
			m, op := c.msg, c.msgOp
			c.msg = nil
			lp.onMessage(c, op, m)
		}
	default:
		lp.protocolError(c, fmt.Errorf("%w: opcode %#x", ErrProtocol, f.op))
	}
}

// onMessage handles one complete WebSocket data message.
func (lp *loop) onMessage(c *conn, op byte, p []byte) {
	lp.st.Messages++
	lp.st.RecvBytes += int64(len(p))
	if op != opText || len(p) == 0 {
		lp.st.Other++ // binary attachments are not measured
		return
	}
	if lp.o.Mode == WebSocket {
		if !lp.onStamp(p) {
			lp.st.Other++
		}
		return
	}
	switch p[0] {
	case '0': // open
		if c.state == stOpen {
			c.state = stConnect
			lp.write(c, lp.connect)
			return
		}
		lp.st.Other++
	case '1': // close
		lp.drop(c, errEIOClose)
	case '2': // ping: the pong carries the same data
		lp.payload = append(append(lp.payload[:0], '3'), p[1:]...)
		lp.sendText(c, opText, lp.payload)
		lp.st.Pings++
	case '4':
		lp.onSIO(c, p[1:])
	case '6': // noop
	default:
		lp.st.Other++
	}
}

// onSIO handles a Socket.IO packet.
func (lp *loop) onSIO(c *conn, p []byte) {
	pk, ok := parseSIO(p)
	if !ok || string(pk.nsp) != lp.nspKey {
		lp.st.Other++
		return
	}
	switch pk.typ {
	case sioConnect:
		if c.state == stConnect {
			lp.becomeReady(c)
			return
		}
		lp.st.Other++
	case sioConnectError:
		lp.drop(c, fmt.Errorf("%w: %.200s", ErrConnectRefused, pk.data))
	case sioDisconnect:
		lp.drop(c, errSIODisconnect)
	case sioEvent:
		if name, arg, ok := eventArg(pk.data); ok && string(name) == "bcast" && lp.onStamp(arg) {
			return
		}
		lp.st.Other++
	case sioAck:
		if !lp.onStamp(ackArg(pk.data)) {
			lp.st.Other++
		}
	default:
		lp.st.Other++
	}
}

// onStamp records the latency of a stamped message; it reports whether s
// held a stamp.
func (lp *loop) onStamp(s []byte) bool {
	kind, id, sent, ok := parseStamp(s)
	if !ok {
		return false
	}
	now := time.Now().UnixNano()
	lat := (now - sent) / 1000
	switch kind {
	case kindBroadcast:
		lp.st.Deliveries++
		lp.st.BroadcastLatency.Record(lat)
		i, seen := lp.bc[id]
		if !seen {
			i = len(lp.st.Broadcasts)
			lp.bc[id] = i
			lp.st.Broadcasts = append(lp.st.Broadcasts, BroadcastStat{ID: id, SentNs: sent})
		}
		b := &lp.st.Broadcasts[i]
		b.Count++
		b.LastNs = now
		if b.Count == len(lp.ready) {
			select {
			case lp.complete <- id:
			default:
			}
		}
	case kindEcho:
		lp.st.EchoAcked++
		lp.st.EchoLatency.Record(lat)
	default:
		return false
	}
	return true
}
