package redisadapter

import (
	"bytes"
	"errors"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/siogate/siogate/hub"
)

// The msgpack requests and answers: BROADCAST (an acknowledged broadcast)
// and BROADCAST_ACK.

// broadcastRequest is a BROADCAST request (an acknowledged broadcast).
type broadcastRequest struct {
	UID       string
	RequestID string
	Packet    *hub.Packet
	Opts      hub.BroadcastOptions
}

func encodeBroadcastRequest(r broadcastRequest) ([]byte, error) {
	r.Opts.Rooms, r.Opts.Except = dedup(r.Opts.Rooms), dedup(r.Opts.Except)
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	if err := enc.EncodeMapLen(5); err != nil {
		return nil, err
	}
	if err := encodeStrings(enc, "uid", r.UID, "requestId", r.RequestID, "type"); err != nil {
		return nil, err
	}
	if err := enc.EncodeInt(typeBroadcast); err != nil {
		return nil, err
	}
	if err := enc.EncodeString("packet"); err != nil {
		return nil, err
	}
	if err := encodePacket(enc, r.Packet); err != nil {
		return nil, err
	}
	if err := enc.EncodeString("opts"); err != nil {
		return nil, err
	}
	if err := encodeOpts(enc, r.Opts, true); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeStrings(enc *msgpack.Encoder, ss ...string) error {
	for _, s := range ss {
		if err := enc.EncodeString(s); err != nil {
			return err
		}
	}
	return nil
}

// decodeMsgpackRequest reads a msgpack request: only BROADCAST is sent
// that way. Its type is returned for the others, which are ignored.
func decodeMsgpackRequest(msg string) (int, broadcastRequest, error) {
	var (
		r   broadcastRequest
		typ = -1
	)
	dec := msgpack.NewDecoder(strings.NewReader(msg))
	err := eachKey(dec, func(key string) error {
		var err error
		switch key {
		case "uid":
			r.UID, err = decodeText(dec)
		case "requestId":
			r.RequestID, err = decodeText(dec)
		case "type":
			var t float64
			t, err = decodeNumber(dec)
			typ = int(t)
		case "packet":
			r.Packet, err = decodePacket(dec)
		case "opts":
			r.Opts, err = decodeOpts(dec)
		default:
			err = dec.Skip()
		}
		return err
	})
	if err == nil && typ == typeBroadcast && r.Packet == nil {
		err = errors.New("redisadapter: BROADCAST without a packet")
	}
	return typ, r, err
}

// encodeBroadcastAck builds a BROADCAST_ACK response carrying the first
// argument of a client's acknowledgement (Node relays only that one); with
// no argument the packet key is left out, as notepack leaves out
// undefined.
func encodeBroadcastAck(requestID string, args, atts [][]byte) ([]byte, error) {
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	n := 2
	if len(args) > 0 {
		n = 3
	}
	if err := enc.EncodeMapLen(n); err != nil {
		return nil, err
	}
	if err := enc.EncodeString("type"); err != nil {
		return nil, err
	}
	if err := enc.EncodeInt(typeBroadcastAck); err != nil {
		return nil, err
	}
	if err := encodeStrings(enc, "requestId", requestID); err != nil {
		return nil, err
	}
	if len(args) > 0 {
		if err := enc.EncodeString("packet"); err != nil {
			return nil, err
		}
		arg := args[0]
		if len(arg) == 0 {
			arg = []byte("null")
		}
		if err := jsonToMsgpack(enc, arg, atts); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// msgpackResponse is a msgpack response: BROADCAST_ACK is the only one.
type msgpackResponse struct {
	Type      int
	RequestID string
	HasPacket bool
	Packet    []byte   // JSON
	Atts      [][]byte // its binary values
}

func decodeMsgpackResponse(msg string) (msgpackResponse, error) {
	r := msgpackResponse{Type: -1}
	dec := msgpack.NewDecoder(strings.NewReader(msg))
	err := eachKey(dec, func(key string) error {
		var err error
		switch key {
		case "type":
			var t float64
			t, err = decodeNumber(dec)
			r.Type = int(t)
		case "requestId":
			r.RequestID, err = decodeText(dec)
		case "packet":
			jb := jsonBuilder{dec: dec}
			var undef bool
			r.Packet, undef, err = jb.value(nil, 0)
			r.HasPacket, r.Atts = !undef, jb.atts
		default:
			err = dec.Skip()
		}
		return err
	})
	return r, err
}
