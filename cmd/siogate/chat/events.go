package chat

import (
	"errors"
	"fmt"
	"time"

	"github.com/siogate/siogate/hub"
)

// handlerFunc handles one client event of a socket that has a chat
// session. What it returns answers the client's ack: the value, or
// {"error": err.Error()}.
type handlerFunc func(s *hub.Socket, sess *session, m *hub.Message) (ack any, err error)

// handle registers h for event behind the checks every event passes: the
// socket has a chat session and is within its rate.
func (c *Chat) handle(event string, h handlerFunc) {
	c.nsp.On(event, func(s *hub.Socket, m *hub.Message) {
		sess := sessionOf(s)
		var ack any
		var err error
		switch {
		case sess == nil:
			err = errors.New("not connected to the chat")
		case !sess.limit.allow(time.Now()):
			err = errors.New("too many messages: slow down")
		default:
			c.comeOnline(sess)
			ack, err = h(s, sess, m)
		}
		if err != nil {
			c.log.Debug("chat: event refused", "sid", s.ID(), "event", event, "err", err)
		}
		answer(m, ack, err)
	})
}

// onAny answers events the chat does not know, when the client asked for
// an answer (the known ones have their own handlers).
func (c *Chat) onAny(s *hub.Socket, m *hub.Message) {
	if _, ok := c.handlers[m.Event]; ok {
		return
	}
	c.log.Debug("chat: unknown event", "sid", s.ID(), "event", m.Event)
	answer(m, nil, fmt.Errorf("unknown event %q", clip(m.Event, 64)))
}

// answer acknowledges m with ack, or with {"error": ...} when err is set;
// a client that asked for no answer gets none.
func answer(m *hub.Message, ack any, err error) {
	if !m.WantsAck() {
		return
	}
	if err != nil {
		ack = hub.Err(err)
	} else if ack == nil {
		ack = struct{}{}
	}
	_ = m.Ack(ack)
}

// decodeArg decodes the event's first argument into v, an object shaped
// like example.
func decodeArg(m *hub.Message, v any, example string) error {
	if m.Len() == 0 {
		return fmt.Errorf("%s needs an argument like %s", m.Event, example)
	}
	if err := m.Arg(0).Decode(v); err != nil {
		return fmt.Errorf("%s needs an argument like %s", m.Event, example)
	}
	return nil
}

// hello tells the page who it is (the server decides: the signed-in user,
// or the guest named by its nickname).
func (c *Chat) hello(_ *hub.Socket, sess *session, _ *hub.Message) (any, error) {
	return struct {
		Me Member `json:"me"`
	}{sess.me}, nil
}
