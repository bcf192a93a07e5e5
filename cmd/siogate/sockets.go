package main

import (
	"encoding/json"
	"time"

	"github.com/siogate/siogate/hub"
)

// userKey is the socket data key holding the authenticated user id (the
// API reports it as "user").
const userKey = "user"

// setupNamespace installs the gateway's handlers on a namespace: auth and
// the connect webhook on connect, the disconnect notification, and event
// forwarding to the backend.
func (g *gateway) setupNamespace(n *hub.Namespace) {
	n.OnConnect(g.onConnect)
	n.OnDisconnect(g.onDisconnect)
	if g.hooks != nil && (g.hooks.allEvents || len(g.hooks.events) > 0) {
		n.OnAny(g.onEvent)
	}
}

// onConnect runs on the client's mailbox: the token check, then the
// connect webhook; only then does the socket join its user room.
func (g *gateway) onConnect(s *hub.Socket, auth hub.Raw) error {
	start := time.Now()
	defer g.metrics.handler("connect", start)
	user, aerr := g.auth.authenticate(auth)
	if aerr != nil {
		g.metrics.rejected(aerr.code)
		g.logger.Debug("connection refused", "sid", s.ID(), "nsp", s.Namespace().Name(), "reason", aerr.code)
		return aerr.connectError()
	}
	if g.hooks != nil && g.hooks.connect {
		refuse, code := g.hooks.callConnect(hookPayload{
			Event: "connect", Nsp: s.Namespace().Name(), SID: s.ID(), User: userPtr(user),
			Args: []json.RawMessage{authWithoutToken(auth)},
		})
		if refuse != nil {
			g.metrics.rejected(code)
			g.logger.Debug("connection refused", "sid", s.ID(), "nsp", s.Namespace().Name(), "reason", code)
			return refuse
		}
	}
	if user != "" {
		s.Set(userKey, user)
		s.Join(userRoom(user))
	}
	g.logger.Debug("socket connected", "sid", s.ID(), "nsp", s.Namespace().Name(), "user", user, "transport", s.Transport())
	return nil
}

func (g *gateway) onDisconnect(s *hub.Socket, reason hub.Reason) {
	g.logger.Debug("socket disconnected", "sid", s.ID(), "nsp", s.Namespace().Name(), "reason", reason)
	if g.hooks == nil || !g.hooks.disc {
		return
	}
	start := time.Now()
	defer g.metrics.handler("disconnect", start)
	reasonJSON, _ := json.Marshal(string(reason))
	g.hooks.notify(hookPayload{
		Event: "disconnect", Nsp: s.Namespace().Name(), SID: s.ID(), User: userPtr(socketUser(s)),
		Args: []json.RawMessage{reasonJSON},
	})
}

// onEvent posts a client event to the backend and answers the client's
// ack with the backend's answer ({"error": "..."} when the call failed).
// It runs on the client's mailbox, so one client's events reach the
// backend one at a time, in order.
func (g *gateway) onEvent(s *hub.Socket, m *hub.Message) {
	if !g.hooks.wantsEvent(m.Event) {
		return
	}
	start := time.Now()
	defer g.metrics.handler("event", start)
	args, err := g.hooks.callEvent(hookPayload{
		Event: m.Event, Nsp: s.Namespace().Name(), SID: s.ID(), User: userPtr(socketUser(s)),
		Args: messageArgs(m),
	})
	if !m.WantsAck() {
		return
	}
	if err != nil {
		_ = m.Ack(hub.Err(publicError(err)))
		return
	}
	_ = m.AckRaw(args, nil)
}

// socketUser returns the socket's user id ("" when anonymous).
func socketUser(s *hub.Socket) string {
	u, _ := s.Get(userKey).(string)
	return u
}

func userPtr(user string) *string {
	if user == "" {
		return nil
	}
	return &user
}

// messageArgs returns a message's arguments as JSON, binary attachments
// as base64 strings.
func messageArgs(m *hub.Message) []json.RawMessage {
	out := make([]json.RawMessage, m.Len())
	if len(m.Attachments()) == 0 {
		for i, a := range m.Args() {
			out[i] = json.RawMessage(a)
		}
		return out
	}
	targets := make([]any, m.Len())
	for i := range out {
		targets[i] = &out[i]
	}
	if err := m.Decode(targets...); err != nil {
		for i, a := range m.Args() {
			out[i] = json.RawMessage(a)
		}
	}
	return out
}

// authWithoutToken is the client's auth payload minus its token: the
// backend gets the verified user id instead.
func authWithoutToken(auth hub.Raw) json.RawMessage {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(auth, &fields); err != nil || fields == nil {
		return json.RawMessage("{}")
	}
	delete(fields, "token")
	b, err := json.Marshal(fields)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}
