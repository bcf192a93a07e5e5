// Package wsframe reads and writes RFC 6455 WebSocket frames over bytes the
// caller owns, for the server side of a connection.
//
// It does no I/O, starts no goroutine and never blocks, which suits a reactor
// that holds whatever bytes of a connection have arrived and must answer
// "need more" instead of waiting. It reuses the types and checks of
// github.com/gobwas/ws: ws.Header, ws.OpCode, ws.StatusCode, ws.CheckHeader,
// ws.Cipher for unmasking and the close code checks.
//
// Reading: Reader.Next takes the bytes at hand and consumes at most one frame.
// It unmasks the payload in place, answers a complete unfragmented message
// without copying it, assembles fragmented ones, and checks what RFC 6455
// asks of a server: masking, reserved bits and opcodes, control frame limits,
// fragment order, close codes, UTF-8 in text and close reasons, and an
// optional message size limit applied before the payload arrives. Every
// violation is a *CloseError carrying the close code to send back.
//
// Writing: server frames are not masked, so AppendFrame, AppendHeader and
// AppendClose produce bytes that can be shared by every recipient; FramePing,
// FramePong and the FrameClose* variables are compiled once.
//
// A read loop over one connection's buffered bytes; out collects the frames
// to write back:
//
//	var r wsframe.Reader // per connection; r.MaxMessageSize = 1e6
//
//	func onBytes(buf, out []byte) (rest, reply []byte, closing bool) {
//		for {
//			ev, n, err := r.Next(buf)
//			if err != nil {
//				var ce *wsframe.CloseError
//				errors.As(err, &ce) // always true for Next
//				return nil, append(out, wsframe.CloseFrameFor(ce.Code)...), true
//			}
//			if n == 0 {
//				return buf, out, false // keep buf, call again with more bytes
//			}
//			buf = buf[n:]
//			switch ev.Kind {
//			case wsframe.KindMessage:
//				handle(ev.Op, ev.Payload) // copy what you keep: valid until the next Next
//			case wsframe.KindPing:
//				out = wsframe.AppendFrame(out, ws.OpPong, ev.Payload)
//			case wsframe.KindClose:
//				// Echo the code (an empty close is echoed empty), then close.
//				return nil, wsframe.AppendClose(out, ev.Code, ""), true
//			}
//		}
//	}
package wsframe
