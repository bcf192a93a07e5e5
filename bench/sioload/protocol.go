package sioload

import (
	"encoding/binary"
	"fmt"
)

// onFrame handles one frame from the server.
func (lp *loop) onFrame(c *conn, f frame) {
	switch f.op {
	case opPing:
		lp.sendText(c, opPong, f.payload)
	case opPong:
	case opClose:
		var code uint16
		if len(f.payload) >= 2 {
			code = binary.BigEndian.Uint16(f.payload)
		}
		lp.drop(c, &CloseFrameError{Code: code})
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
		if !lp.onStamp(p, lp.receivers()) {
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
		if name, arg, ok := eventArg(pk.data); ok && string(name) == "bcast" && lp.onStamp(arg, lp.receivers()) {
			return
		}
		lp.st.Other++
	case sioAck:
		id, ok := ackNumber(pk.ackID)
		switch {
		case ok && c.joinAck != 0 && id == c.joinAck:
			lp.joined(c)
		case ok && c.state == stCycle && id == c.ackSeq:
			lp.endCycle(c)
		case !lp.onStamp(ackArg(pk.data), 0):
			lp.st.Other++
		}
	default:
		lp.st.Other++
	}
}
