package redisadapter

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/sio"
)

// The msgpack messages of @socket.io/redis-adapter 8.3 (see doc.go), in
// the key order Node writes them:
//
//	broadcast      [uid, {type, data, nsp}, {rooms, except, flags}]
//	BROADCAST      {uid, requestId, type: 7, packet, opts}
//	BROADCAST_ACK  {type: 9, requestId, packet}
//
// Every other request and response is JSON (requests.go).

// eventType is the Socket.IO EVENT packet type Node puts on the wire
// (binary or not: the receiving node decides when it encodes).
const eventType = 2

func newEncoder(buf *bytes.Buffer) *msgpack.Encoder {
	enc := msgpack.NewEncoder(buf)
	enc.UseCompactInts(true)
	return enc
}

// encodeBroadcast builds the broadcast message of p and the channel it
// goes to: the namespace channel, or the room's when exactly one room is
// targeted.
func encodeBroadcast(prefix, uid string, p *hub.Packet, opts hub.BroadcastOptions) (channel string, msg []byte, err error) {
	opts.Rooms, opts.Except = dedup(opts.Rooms), dedup(opts.Except)
	var buf bytes.Buffer
	enc := newEncoder(&buf)
	if err := enc.EncodeArrayLen(3); err != nil {
		return "", nil, err
	}
	if err := enc.EncodeString(uid); err != nil {
		return "", nil, err
	}
	if err := encodePacket(enc, p); err != nil {
		return "", nil, err
	}
	if err := encodeOpts(enc, opts, false); err != nil {
		return "", nil, err
	}
	channel = prefix
	if len(opts.Rooms) == 1 {
		channel += opts.Rooms[0] + "#"
	}
	return channel, buf.Bytes(), nil
}

// encodePacket writes p in Node's unencoded form {type, data, nsp}: data is
// [event, ...args] with binary attachments as bin where their placeholders
// were.
func encodePacket(enc *msgpack.Encoder, p *hub.Packet) error {
	if err := enc.EncodeMapLen(3); err != nil {
		return err
	}
	if err := enc.EncodeString("type"); err != nil {
		return err
	}
	if err := enc.EncodeInt(eventType); err != nil {
		return err
	}
	if err := enc.EncodeString("data"); err != nil {
		return err
	}
	if err := enc.EncodeArrayLen(1 + len(p.Args)); err != nil {
		return err
	}
	if err := enc.EncodeString(p.Event); err != nil {
		return err
	}
	for i, a := range p.Args {
		if len(a) == 0 {
			a = []byte("null")
		}
		if err := jsonToMsgpack(enc, a, p.Attachments); err != nil {
			return fmt.Errorf("redisadapter: argument %d: %w", i, err)
		}
	}
	if err := enc.EncodeString("nsp"); err != nil {
		return err
	}
	return enc.EncodeString(p.Nsp)
}

// encodeOpts writes {rooms, except, flags}; flags holds volatile when set
// and, for acknowledged broadcasts, timeout in milliseconds.
func encodeOpts(enc *msgpack.Encoder, opts hub.BroadcastOptions, withTimeout bool) error {
	if err := enc.EncodeMapLen(3); err != nil {
		return err
	}
	for _, l := range []struct {
		key   string
		rooms []string
	}{{"rooms", opts.Rooms}, {"except", opts.Except}} {
		if err := enc.EncodeString(l.key); err != nil {
			return err
		}
		if err := enc.EncodeArrayLen(len(l.rooms)); err != nil {
			return err
		}
		for _, r := range l.rooms {
			if err := enc.EncodeString(r); err != nil {
				return err
			}
		}
	}
	if err := enc.EncodeString("flags"); err != nil {
		return err
	}
	n := 0
	if opts.Volatile {
		n++
	}
	if withTimeout {
		n++
	}
	if err := enc.EncodeMapLen(n); err != nil {
		return err
	}
	if opts.Volatile {
		if err := enc.EncodeString("volatile"); err != nil {
			return err
		}
		if err := enc.EncodeBool(true); err != nil {
			return err
		}
	}
	if withTimeout {
		if err := enc.EncodeString("timeout"); err != nil {
			return err
		}
		if err := enc.EncodeInt(opts.Timeout.Milliseconds()); err != nil {
			return err
		}
	}
	return nil
}

// dedup returns rooms without repeats, in first-seen order (Node sends
// Sets).
func dedup(rooms []string) []string {
	if len(rooms) < 2 {
		return rooms
	}
	out := make([]string, 0, len(rooms))
	for _, r := range rooms {
		dup := false
		for _, o := range out {
			if o == r {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, r)
		}
	}
	return out
}

// broadcastUID reads the uid of a broadcast message without decoding the
// rest, and returns the decoder positioned after it.
func broadcastUID(msg string) (string, *msgpack.Decoder, error) {
	dec := msgpack.NewDecoder(strings.NewReader(msg))
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return "", nil, err
	}
	if n != 3 {
		return "", nil, fmt.Errorf("redisadapter: broadcast of %d elements", n)
	}
	uid, err := decodeText(dec)
	return uid, dec, err
}

// decodeBroadcastRest reads the packet and the options that follow the uid.
func decodeBroadcastRest(dec *msgpack.Decoder) (*hub.Packet, hub.BroadcastOptions, error) {
	p, err := decodePacket(dec)
	if err != nil {
		return nil, hub.BroadcastOptions{}, err
	}
	opts, err := decodeOpts(dec)
	return p, opts, err
}

// decodePacket reads a packet in Node's unencoded form. A missing nsp
// means "/". Only events are carried.
func decodePacket(dec *msgpack.Decoder) (*hub.Packet, error) {
	p := &hub.Packet{Type: sio.Event, Nsp: "/", ID: -1}
	typ := int64(-1)
	sawData := false
	err := eachKey(dec, func(key string) error {
		switch key {
		case "type":
			t, err := decodeNumber(dec)
			typ = int64(t)
			return err
		case "nsp":
			s, err := decodeText(dec)
			p.Nsp = s
			return err
		case "data":
			sawData = true
			return decodeEventData(dec, p)
		}
		return dec.Skip()
	})
	if err != nil {
		return nil, err
	}
	if typ != int64(sio.Event) && typ != int64(sio.BinaryEvent) {
		return nil, fmt.Errorf("redisadapter: packet type %d is not an event", typ)
	}
	if !sawData {
		return nil, errors.New("redisadapter: packet without data")
	}
	return p, nil
}

// decodeEventData reads [event, ...args] into p.
func decodeEventData(dec *msgpack.Decoder, p *hub.Packet) error {
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n < 1 {
		return errors.New("redisadapter: event without a name")
	}
	if p.Event, err = decodeText(dec); err != nil {
		return fmt.Errorf("redisadapter: event name: %w", err)
	}
	jb := jsonBuilder{dec: dec}
	p.Args = make([][]byte, 0, min(n-1, 16))
	for range n - 1 {
		arg, undef, err := jb.value(nil, 0)
		if err != nil {
			return err
		}
		if undef {
			arg = []byte("null")
		}
		p.Args = append(p.Args, arg)
	}
	p.Attachments = jb.atts
	return nil
}

// decodeOpts reads {rooms, except, flags}.
func decodeOpts(dec *msgpack.Decoder) (hub.BroadcastOptions, error) {
	var opts hub.BroadcastOptions
	err := eachKey(dec, func(key string) error {
		var err error
		switch key {
		case "rooms":
			opts.Rooms, err = decodeRooms(dec)
		case "except":
			opts.Except, err = decodeRooms(dec)
		case "flags":
			err = eachKey(dec, func(flag string) error {
				switch flag {
				case "volatile":
					v, err := decodeTruthy(dec)
					opts.Volatile = v
					return err
				case "timeout":
					ms, err := decodeNumber(dec)
					opts.Timeout = time.Duration(ms * float64(time.Millisecond))
					return err
				}
				return dec.Skip()
			})
		default:
			err = dec.Skip()
		}
		return err
	})
	return opts, err
}
