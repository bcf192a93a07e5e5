// Package sio implements the Socket.IO v5 packet codec: the text form of
// packets, the binary attachment placeholders and the reassembly of binary
// packets.
//
// A packet is the data of one Engine.IO message (package eio strips the "4"):
//
//	<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//
// with the types 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR,
// 5 BINARY_EVENT and 6 BINARY_ACK. The namespace is written only when it is
// not "/". A binary packet is followed by one binary Engine.IO message per
// attachment; its JSON holds {"_placeholder":true,"num":N} where attachment
// N belongs.
//
// Payloads stay raw JSON, byte for byte as the peer sent them: Decode and
// SplitEvent validate them and hand out slices of the input, and the
// encoders copy raw arguments as they are. Nothing goes through maps or
// interface values, so keys keep their order and numbers their digits.
//
// The package is pure functions over byte slices plus the Assembler, a
// small per-connection state machine. It owns no goroutines; the functions
// are safe for concurrent use.
//
//	// The client calls socket.emit("say", {"room":"a"}, ack) on /chat.
//	p, err := sio.Decode([]byte(`2/chat,7["say",{"room":"a"}]`), 10)
//	if err != nil {
//		return err // a *sio.DecodeError: close the connection
//	}
//	name, args, err := sio.SplitEvent(p.Data) // "say", [`{"room":"a"}`]
//
//	// Answer the ack with the same argument, into a reused buffer.
//	buf = sio.AppendAck(buf[:0], p.Namespace, p.ID, 0, args[0]) // 3/chat,7[{"room":"a"}]
//
//	// Binary packets: feed every Engine.IO message of the connection to
//	// one Assembler, text and binary alike.
//	var asm sio.Assembler
//	_, _, done, err := asm.AddText([]byte(`51-["file",{"_placeholder":true,"num":0}]`), 10)
//	// done is false: one attachment is awaited
//	p, atts, done, err := asm.AddBinary([]byte{1, 2, 3})
//	// done is true; p is the BINARY_EVENT, atts is [[1 2 3]]
package sio
