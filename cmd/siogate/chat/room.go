package chat

import (
	"fmt"
	"sort"

	"github.com/siogate/siogate/hub"
)

// room is a chat room: who is in it and its recent messages. Guarded by
// Chat.mu.
type room struct {
	name    string
	members map[string]int // member id -> that member's sockets in the room
	history []*entry       // oldest first, at most Options.History
	active  uint64         // Chat.seq when last joined or written to
}

// roomKey is the hub room of a chat room (kept apart from the user:<id>
// rooms and socket ids).
func roomKey(name string) string { return "room:" + name }

// RoomInfo is one line of the room list.
type RoomInfo struct {
	Name    string `json:"name"`
	Members int    `json:"members"` // members in the room now (a member with several tabs counts once)
}

// presenceEvent tells a room that a member came or went.
type presenceEvent struct {
	Room    string `json:"room"`
	Action  string `json:"action"` // "join" or "leave"
	User    Member `json:"user"`
	Members int    `json:"members"` // members in the room after the change
}

// joinAck answers join and create.
type joinAck struct {
	Room    string   `json:"room"`
	Members []Member `json:"members"`
	History int      `json:"history"` // messages replayed before this answer
}

// roomArg is the argument of create, join and leave.
type roomArg struct {
	Room string `json:"room"`
}

const roomArgExample = `{"room": "lobby"}`

// listRooms answers "rooms" with every room and its member count, by name.
func (c *Chat) listRooms(_ *hub.Socket, _ *session, _ *hub.Message) (any, error) {
	c.mu.Lock()
	list := make([]RoomInfo, 0, len(c.rooms))
	for _, r := range c.rooms {
		list = append(list, RoomInfo{Name: r.name, Members: len(r.members)})
	}
	c.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return struct {
		Rooms []RoomInfo `json:"rooms"`
	}{list}, nil
}

// create is join for a room that must not exist yet.
func (c *Chat) create(s *hub.Socket, sess *session, m *hub.Message) (any, error) {
	return c.enter(s, sess, m, true)
}

// join puts the socket in a room (created on first use), replays the
// room's history to it as "message" events, then answers with the members.
func (c *Chat) join(s *hub.Socket, sess *session, m *hub.Message) (any, error) {
	return c.enter(s, sess, m, false)
}

func (c *Chat) enter(s *hub.Socket, sess *session, m *hub.Message, create bool) (any, error) {
	var in roomArg
	if err := decodeArg(m, &in, roomArgExample); err != nil {
		return nil, err
	}
	name, err := c.checkName("room", in.Room)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	r := c.rooms[name]
	switch {
	case create && r != nil:
		c.mu.Unlock()
		return nil, fmt.Errorf("room %q already exists: join it instead", name)
	case !sess.joined[name] && len(sess.joined) >= c.o.MaxJoined:
		c.mu.Unlock()
		return nil, fmt.Errorf("one tab may be in %d rooms at most: leave one first", c.o.MaxJoined)
	case r == nil:
		if r, err = c.newRoomLocked(name); err != nil {
			c.mu.Unlock()
			return nil, err
		}
	}
	first := false
	if !sess.joined[name] {
		sess.joined[name] = true
		first = r.members[sess.me.ID] == 0
		r.members[sess.me.ID]++
	}
	c.seq++
	r.active = c.seq
	// Joining the hub room under mu orders it with sends: a message is
	// either in the history snapshot below or broadcast to this socket (or
	// both: the page drops duplicates by id).
	s.Join(roomKey(name))
	history := r.snapshotLocked()
	members := c.membersLocked(r)
	c.mu.Unlock()

	for _, e := range history {
		_ = s.Emit("message", e.args()...)
	}
	if first {
		_ = s.To(roomKey(name)).Emit("presence", presenceEvent{Room: name, Action: "join", User: sess.me, Members: len(members)})
	}
	return joinAck{Room: name, Members: members, History: len(history)}, nil
}

// leave takes the socket out of a room.
func (c *Chat) leave(s *hub.Socket, sess *session, m *hub.Message) (any, error) {
	var in roomArg
	if err := decodeArg(m, &in, roomArgExample); err != nil {
		return nil, err
	}
	name, err := c.checkName("room", in.Room)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if !sess.joined[name] {
		c.mu.Unlock()
		return nil, fmt.Errorf("you are not in room %q", name)
	}
	ev, last := c.leaveLocked(sess, name)
	s.Leave(roomKey(name))
	c.mu.Unlock()
	if last {
		_ = c.nsp.To(roomKey(name)).Emit("presence", ev)
	}
	return roomArg{Room: name}, nil
}

// newRoomLocked creates room name, dropping the least recently active
// empty room (and its history) when MaxRooms exist already.
func (c *Chat) newRoomLocked(name string) (*room, error) {
	if len(c.rooms) >= c.o.MaxRooms {
		var idle *room
		for _, r := range c.rooms {
			if len(r.members) == 0 && (idle == nil || r.active < idle.active) {
				idle = r
			}
		}
		if idle == nil {
			return nil, fmt.Errorf("there are %d rooms already, the most this server keeps: join one of them", c.o.MaxRooms)
		}
		for _, e := range idle.history {
			c.attBytes -= len(e.data)
		}
		delete(c.rooms, idle.name)
	}
	r := &room{name: name, members: make(map[string]int)}
	c.rooms[name] = r
	return r, nil
}

// leaveLocked takes sess's socket out of room name in the chat's books
// (not the hub room: the caller does that, or the hub on disconnect). last
// reports whether the member has no socket left in the room; ev is the
// presence event to send then.
func (c *Chat) leaveLocked(sess *session, name string) (ev presenceEvent, last bool) {
	delete(sess.joined, name)
	r := c.rooms[name]
	if r == nil {
		return ev, false
	}
	if r.members[sess.me.ID]--; r.members[sess.me.ID] > 0 {
		return ev, false
	}
	delete(r.members, sess.me.ID)
	c.seq++
	r.active = c.seq
	return presenceEvent{Room: name, Action: "leave", User: sess.me, Members: len(r.members)}, true
}
