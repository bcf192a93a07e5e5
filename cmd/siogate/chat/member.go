package chat

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/siogate/siogate/hub"
)

// Member is a participant as the other clients see it.
type Member struct {
	// ID addresses the member's direct messages: the user id of a signed-in
	// user, "guest:<nickname>" for a guest.
	ID string `json:"id"`
	// Name is what the page shows: the user id, or the guest's nickname.
	Name string `json:"name"`
	// Verified: the member signed in (the gateway checked a JWT), so nobody
	// else can take this id.
	Verified bool `json:"verified,omitempty"`
}

// guestPrefix starts the id of every guest; signed-in user ids may not.
const guestPrefix = "guest:"

// userRoom is the hub room of every socket of a member, where its direct
// messages go: for a signed-in user it is the gateway's user:<id> room.
func userRoom(id string) string { return "user:" + id }

// session is the chat's state of one socket, kept in the socket's data
// under sessionKey.
type session struct {
	me    Member
	limit *bucket
	// Guarded by Chat.mu.
	online bool            // counted in Chat.online
	joined map[string]bool // names of the rooms this socket is in
}

const sessionKey = "chat"

func sessionOf(s *hub.Socket) *session {
	sess, _ := s.Get(sessionKey).(*session)
	return sess
}

// presence counts the sockets of one online member.
type presence struct {
	m       Member
	sockets int
}

// onConnect names the socket (its user id, or the nickname it sent as
// auth.name) and puts it in its member's room.
func (c *Chat) onConnect(s *hub.Socket, auth hub.Raw) error {
	me, err := c.identify(s, auth)
	if err != nil {
		return &hub.ConnectError{Message: err.Error()}
	}
	s.Set(sessionKey, &session{me: me, limit: newBucket(c.o.Rate, c.o.Burst), joined: make(map[string]bool)})
	s.Join(userRoom(me.ID))
	return nil
}

func (c *Chat) identify(s *hub.Socket, auth hub.Raw) (Member, error) {
	if c.o.User != nil {
		if id := c.o.User(s); id != "" {
			if strings.HasPrefix(id, guestPrefix) {
				return Member{}, fmt.Errorf("user id %q starts with %q, which the chat keeps for guests", id, guestPrefix)
			}
			return Member{ID: id, Name: id, Verified: true}, nil
		}
	}
	var a struct {
		Name string `json:"name"`
	}
	if err := auth.Decode(&a); err != nil {
		return Member{}, errors.New(`auth must be an object like {"name": "ada"}`)
	}
	name, err := c.checkName("nickname", a.Name)
	if err != nil {
		return Member{}, err
	}
	return Member{ID: guestPrefix + name, Name: name}, nil
}

// onDisconnect takes the socket out of its rooms, telling the rooms its
// member left when this was the member's last socket there.
func (c *Chat) onDisconnect(s *hub.Socket, _ hub.Reason) {
	sess := sessionOf(s)
	if sess == nil {
		return
	}
	var left []presenceEvent
	c.mu.Lock()
	for name := range sess.joined {
		if ev, last := c.leaveLocked(sess, name); last {
			left = append(left, ev)
		}
	}
	if sess.online {
		sess.online = false
		if p := c.online[sess.me.ID]; p != nil {
			if p.sockets--; p.sockets == 0 {
				delete(c.online, sess.me.ID)
			}
		}
	}
	c.mu.Unlock()
	// The hub has already taken the socket out of its hub rooms.
	for _, ev := range left {
		_ = c.nsp.To(roomKey(ev.Room)).Emit("presence", ev)
	}
}

// comeOnline counts the socket's member as online. It runs before every
// event the socket sends rather than on connect, because a socket whose
// connection fails between OnConnect and the CONNECT reply never gets a
// disconnect handler; a socket that sent an event always does.
func (c *Chat) comeOnline(sess *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sess.online {
		return
	}
	sess.online = true
	p := c.online[sess.me.ID]
	if p == nil {
		p = &presence{m: sess.me}
		c.online[sess.me.ID] = p
	}
	p.sockets++
}

// onlineMember returns the online member with id.
func (c *Chat) onlineMember(id string) (Member, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.online[id]
	if p == nil {
		return Member{}, false
	}
	return p.m, true
}

// membersLocked lists the members in r, by name.
func (c *Chat) membersLocked(r *room) []Member {
	out := make([]Member, 0, len(r.members))
	for id := range r.members {
		if p := c.online[id]; p != nil {
			out = append(out, p.m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}
