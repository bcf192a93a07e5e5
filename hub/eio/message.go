package eio

import (
	"encoding/base64"
	"sync"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/wsframe"
)

// Outgoing is one outgoing Engine.IO packet, encoded at most once per
// transport however many sessions it is sent to: a broadcast builds one
// Outgoing and every WebSocket gets the same frame bytes, every polling
// session the same payload element. An Outgoing is immutable and safe for
// concurrent use.
type Outgoing struct {
	typ    PacketType
	data   []byte
	binary bool

	wsOnce   sync.Once
	wsFrame  []byte
	polOnce  sync.Once
	polBytes []byte
}

// NewOutgoing wraps data as a message packet (type 4). data is not copied
// and must not be modified afterwards.
func NewOutgoing(data []byte, binary bool) *Outgoing {
	return &Outgoing{typ: Message, data: data, binary: binary}
}

func newControl(t PacketType, data string) *Outgoing {
	m := &Outgoing{typ: t, data: []byte(data)}
	m.frame()
	m.polling()
	return m
}

var (
	msgPing      = newControl(Ping, "")
	msgNoop      = newControl(Noop, "")
	msgClose     = newControl(Close, "")
	msgProbePong = newControl(Pong, "probe")
)

// Size is the payload size used for queue accounting.
func (m *Outgoing) Size() int { return len(m.data) + 1 }

// Binary reports whether the message is binary.
func (m *Outgoing) Binary() bool { return m.binary }

// Data returns the payload (do not modify).
func (m *Outgoing) Data() []byte { return m.data }

// frame returns the WebSocket frame: a text frame "<digit><data>", or a
// binary frame holding the raw bytes.
func (m *Outgoing) frame() []byte {
	m.wsOnce.Do(func() {
		if m.binary {
			m.wsFrame = wsframe.AppendFrame(make([]byte, 0, wsframe.HeaderSize(len(m.data))+len(m.data)), ws.OpBinary, m.data)
			return
		}
		n := len(m.data) + 1
		b := make([]byte, 0, wsframe.HeaderSize(n)+n)
		b = wsframe.AppendHeader(b, ws.OpText, true, n)
		b = append(b, '0'+byte(m.typ))
		m.wsFrame = append(b, m.data...)
	})
	return m.wsFrame
}

// polling returns the element of a polling payload: "<digit><data>" or
// "b<base64>".
func (m *Outgoing) polling() []byte {
	m.polOnce.Do(func() {
		if m.binary {
			b := make([]byte, 1+base64.StdEncoding.EncodedLen(len(m.data)))
			b[0] = 'b'
			base64.StdEncoding.Encode(b[1:], m.data)
			m.polBytes = b
			return
		}
		b := make([]byte, 0, 1+len(m.data))
		b = append(b, '0'+byte(m.typ))
		m.polBytes = append(b, m.data...)
	})
	return m.polBytes
}
