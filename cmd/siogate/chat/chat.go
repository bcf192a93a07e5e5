package chat

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/siogate/siogate/hub"
)

// Options configures a Chat. The zero value is usable: every field has a
// default, listed with it.
type Options struct {
	// History is how many messages of each room are kept and replayed to a
	// socket that joins the room (default 50; negative: none are kept).
	History int
	// HistoryBytes bounds the attachment bytes the history of all rooms
	// holds together (default 16 MiB). Past it the oldest attachments are
	// dropped from the history; their messages stay, marked expired.
	HistoryBytes int
	// MaxMessageLen bounds the text of a message, in characters (default
	// 2000).
	MaxMessageLen int
	// MaxNameLen bounds nicknames and room names, in characters (default 32).
	MaxNameLen int
	// MaxAttachment is the largest image or voice clip, in bytes (default
	// 512 KiB). It must fit what the transports accept: the server's
	// MaxPayload, and 3/4 of it for long-polling, which carries binary data
	// as base64.
	MaxAttachment int
	// MaxRooms bounds the rooms that exist at once (default 100). An empty
	// room keeps its history until a new room needs its place.
	MaxRooms int
	// MaxJoined bounds the rooms one socket is in at once (default 20).
	MaxJoined int
	// Rate and Burst limit every socket's events: Burst at once, Rate per
	// second on average (defaults 5 and 30). An event over the limit is
	// answered with an error.
	Rate  float64
	Burst int
	// User returns the user id a socket authenticated as, "" for a guest
	// (who picks a nickname). nil: every socket is a guest.
	User func(s *hub.Socket) string
	// Logger receives debug lines for refused events; nil: silent.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultHistory       = 50
	DefaultHistoryBytes  = 16 << 20
	DefaultMaxMessageLen = 2000
	DefaultMaxNameLen    = 32
	DefaultMaxAttachment = 512 << 10
	DefaultMaxRooms      = 100
	DefaultMaxJoined     = 20
	DefaultRate          = 5
	DefaultBurst         = 30
)

// Chat is an instant-messaging service on a hub namespace: guests and
// signed-in users, rooms with presence and history, direct messages,
// typing indicators, images and voice clips. Its state (rooms, who is
// online, history) lives in this process's memory.
//
// Create it with New, attach it to a namespace with Mount and serve its
// page with Handler. It is safe for concurrent use.
type Chat struct {
	o   Options
	log *slog.Logger
	web http.Handler
	// Set once by Mount, before any client can connect; read-only after.
	nsp      *hub.Namespace
	handlers map[string]handlerFunc // every event a client may send

	// mu guards everything below. Lock order: mu, then hub locks (a
	// socket joins an adapter room while mu is held so that a message is
	// either in the history a joiner gets or broadcast to it). Nothing is
	// sent while mu is held.
	mu       sync.Mutex
	rooms    map[string]*room
	online   map[string]*presence // by member id
	seq      uint64               // orders messages across rooms (history eviction)
	attBytes int                  // attachment bytes held by the history
}

// New returns a Chat configured by o, its defaults filled in.
func New(o Options) (*Chat, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Chat{
		o:      o,
		log:    log,
		rooms:  make(map[string]*room),
		online: make(map[string]*presence),
	}
	c.web = newWebHandler(webFiles(), c.clientConfig)
	return c, nil
}

// fill sets the defaults and checks the values.
func (o *Options) fill() error {
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&o.History, DefaultHistory)
	set(&o.HistoryBytes, DefaultHistoryBytes)
	set(&o.MaxMessageLen, DefaultMaxMessageLen)
	set(&o.MaxNameLen, DefaultMaxNameLen)
	set(&o.MaxAttachment, DefaultMaxAttachment)
	set(&o.MaxRooms, DefaultMaxRooms)
	set(&o.MaxJoined, DefaultMaxJoined)
	set(&o.Burst, DefaultBurst)
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	switch {
	case o.HistoryBytes < 0 || o.MaxMessageLen < 0 || o.MaxNameLen < 0 || o.MaxAttachment < 0 ||
		o.MaxRooms < 0 || o.MaxJoined < 0 || o.Burst < 0 || o.Rate < 0:
		return errors.New("chat: options must not be negative (only History may be, for no history)")
	case o.History > 0 && o.MaxAttachment > o.HistoryBytes:
		return fmt.Errorf("chat: HistoryBytes (%d) must hold at least one attachment of MaxAttachment (%d) bytes", o.HistoryBytes, o.MaxAttachment)
	}
	return nil
}

// Options returns the options in force (defaults filled in).
func (c *Chat) Options() Options { return c.o }

// Mount serves the chat on n: it installs n's connect and disconnect
// handlers and the chat's events (see docs/chat.md). Authentication belongs
// in n.Use middleware, in front of the chat's connect handler, which then
// learns the user through Options.User. Mount must be called once, before
// clients connect.
func (c *Chat) Mount(n *hub.Namespace) {
	c.mu.Lock()
	if c.nsp != nil {
		c.mu.Unlock()
		panic("chat: Mount called twice")
	}
	c.nsp = n
	c.mu.Unlock()

	c.handlers = map[string]handlerFunc{
		"hello":  c.hello,
		"rooms":  c.listRooms,
		"create": c.create,
		"join":   c.join,
		"leave":  c.leave,
		"send":   c.send,
		"dm":     c.dm,
		"typing": c.typing,
	}
	n.OnConnect(c.onConnect)
	n.OnDisconnect(c.onDisconnect)
	for event, h := range c.handlers {
		c.handle(event, h)
	}
	n.OnAny(c.onAny)
}

// namespace returns the namespace given to Mount (nil before).
func (c *Chat) namespace() *hub.Namespace {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nsp
}
