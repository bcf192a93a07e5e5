// Package eio implements the Engine.IO v4 protocol: the packet and polling
// payload codec that Socket.IO runs on.
//
// An Engine.IO packet is a type digit followed by data: "0" open, "1" close,
// "2" ping, "3" pong, "4" message, "5" upgrade, "6" noop. Over WebSocket each
// packet is one frame, a text frame for text ("4hello") and a binary frame
// holding only the bytes for a binary message. Over HTTP long-polling a body
// joins packets with the record separator 0x1e and writes binary messages as
// 'b' followed by base64.
//
// The codec is a set of pure functions over byte slices: it owns no
// goroutines and is safe for concurrent use. Decoders alias their input where
// they can; encoders append to a caller's buffer and do not allocate when it
// is large enough.
//
//	// A polling POST body with a text and a binary message.
//	pkts, err := eio.DecodePayload([]byte("4hello\x1ebAQIDBA=="), 16)
//	if err != nil {
//		return err // *eio.DecodeError with the byte offset, or eio.ErrTooManyPackets
//	}
//	// pkts[0]: Message "hello"; pkts[1]: binary Message [1 2 3 4]
//
//	// A polling GET body echoing them, built in a reused buffer.
//	buf = eio.AppendPayload(buf[:0], pkts) // "4hello\x1ebAQIDBA=="
//
//	// The same packets over WebSocket.
//	p, err := eio.DecodeText([]byte("4hello"))     // text frame
//	q := eio.DecodeBinaryFrame([]byte{1, 2, 3, 4}) // binary frame
//	frame := eio.AppendText(nil, p)                // "4hello"
package eio
