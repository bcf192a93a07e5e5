package chat

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/siogate/siogate/hub"
)

// Message is a chat message as clients receive it, in the "message" event
// (its attachment, if any, is the event's second argument, binary).
type Message struct {
	ID      string  `json:"id"`
	Room    string  `json:"room,omitempty"` // a room message
	To      *Member `json:"to,omitempty"`   // a direct message: its recipient
	From    Member  `json:"from"`
	Text    string  `json:"text,omitempty"`
	File    *File   `json:"file,omitempty"`
	TS      int64   `json:"ts"`                // server time, Unix milliseconds
	History bool    `json:"history,omitempty"` // replayed from the room's history on join
}

// File describes a message's attachment.
type File struct {
	Name    string `json:"name,omitempty"`
	Type    string `json:"type"` // an accepted media type, without parameters
	Size    int    `json:"size"`
	Expired bool   `json:"expired,omitempty"` // history only: the bytes were dropped (Options.HistoryBytes)
}

// clone returns m with its own copy of File.
func (m Message) clone() Message {
	if m.File != nil {
		f := *m.File
		m.File = &f
	}
	return m
}

// post is what a client sends with "send" (Room) or "dm" (To). An
// attachment comes as the binary field data beside file.
type post struct {
	Room string    `json:"room"`
	To   string    `json:"to"`
	Text string    `json:"text"`
	File *fileMeta `json:"file"`
}

type fileMeta struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

const (
	sendExample = `{"room": "lobby", "text": "hi"}`
	dmExample   = `{"to": "guest:ada", "text": "hi"}`
)

// sent answers send and dm: the message was accepted and delivered to
// every socket that could take it (the page shows a tick).
type sent struct {
	ID string `json:"id"`
	TS int64  `json:"ts"`
}

// send posts a message to a room the socket is in.
func (c *Chat) send(s *hub.Socket, sess *session, m *hub.Message) (any, error) {
	p, msg, data, err := c.compose(sess, m, sendExample)
	if err != nil {
		return nil, err
	}
	if msg.Room, err = c.checkName("room", p.Room); err != nil {
		return nil, err
	}
	c.mu.Lock()
	r := c.rooms[msg.Room]
	if r == nil || !sess.joined[msg.Room] {
		c.mu.Unlock()
		return nil, fmt.Errorf("join room %q before writing to it", msg.Room)
	}
	c.rememberLocked(r, msg, data)
	c.mu.Unlock()
	if err := s.To(roomKey(msg.Room)).Emit("message", eventArgs(msg, data)...); err != nil {
		return nil, err
	}
	return sent{ID: msg.ID, TS: msg.TS}, nil
}

// dm sends a direct message to every socket of an online member, and to
// the sender's other sockets.
func (c *Chat) dm(s *hub.Socket, sess *session, m *hub.Message) (any, error) {
	p, msg, data, err := c.compose(sess, m, dmExample)
	if err != nil {
		return nil, err
	}
	to, err := c.recipient(p.To)
	if err != nil {
		return nil, err
	}
	msg.To = &to
	if err := c.nsp.To(userRoom(to.ID), userRoom(sess.me.ID)).Except(s.ID()).Emit("message", eventArgs(msg, data)...); err != nil {
		return nil, err
	}
	return sent{ID: msg.ID, TS: msg.TS}, nil
}

// compose decodes and checks a send or dm, and builds its message.
func (c *Chat) compose(sess *session, m *hub.Message, example string) (p post, msg Message, data []byte, err error) {
	// Decoding the first argument alone leaves the attachment's bytes out of
	// JSON decoding (Message.Decode would turn them into base64 first).
	if err = decodeArg(m, &p, example); err != nil {
		return
	}
	text, err := c.checkText(p.Text)
	if err != nil {
		return
	}
	file, data, err := c.checkFile(p.File, m.Attachments())
	if err != nil {
		return
	}
	if text == "" && file == nil {
		err = errors.New("empty message: send text, an image or a voice clip")
		return
	}
	msg = Message{ID: rand.Text(), From: sess.me, Text: text, File: file, TS: time.Now().UnixMilli()}
	return p, msg, data, nil
}

// recipient returns the online member a direct message or typing
// indicator goes to.
func (c *Chat) recipient(id string) (Member, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return Member{}, errors.New("to is missing: the id of the member to write to")
	}
	to, ok := c.onlineMember(id)
	if !ok {
		return Member{}, fmt.Errorf("%q is not online", clip(id, 64))
	}
	return to, nil
}

// eventArgs are the arguments of a "message" event.
func eventArgs(msg Message, data []byte) []any {
	if data == nil {
		return []any{msg}
	}
	return []any{msg, data}
}

// typingEvent tells a room (Room set) or a member (Room empty: a direct
// conversation) that User is typing.
type typingEvent struct {
	Room string `json:"room,omitempty"`
	User Member `json:"user"`
}

// typing relays a typing indicator as a volatile event: a client that
// cannot take it now misses it, which is fine for a hint that expires in
// seconds anyway. The sender's own sockets do not get it.
func (c *Chat) typing(s *hub.Socket, sess *session, m *hub.Message) (any, error) {
	var in post
	if err := decodeArg(m, &in, `{"room": "lobby"} or {"to": "guest:ada"}`); err != nil {
		return nil, err
	}
	if in.Room == "" {
		to, err := c.recipient(in.To)
		if err != nil {
			return nil, err
		}
		_ = c.nsp.To(userRoom(to.ID)).Except(userRoom(sess.me.ID)).Volatile().Emit("typing", typingEvent{User: sess.me})
		return nil, nil
	}
	name, err := c.checkName("room", in.Room)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	joined := sess.joined[name]
	c.mu.Unlock()
	if !joined {
		return nil, fmt.Errorf("you are not in room %q", name)
	}
	_ = c.nsp.To(roomKey(name)).Except(userRoom(sess.me.ID)).Volatile().Emit("typing", typingEvent{Room: name, User: sess.me})
	return nil, nil
}
