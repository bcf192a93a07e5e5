package redisadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/siogate/siogate/hub"
)

// Request types of @socket.io/redis-adapter 8.3.
const (
	typeSockets              = 0 // {rooms} -> {sockets: [ids]}
	typeAllRooms             = 1 // -> {rooms}
	typeRemoteJoin           = 2 // {opts, rooms}, or the old {sid, room} -> {}
	typeRemoteLeave          = 3 // as REMOTE_JOIN
	typeRemoteDisconnect     = 4 // {opts, close}, or the old {sid, close} -> {}
	typeRemoteFetch          = 5 // {opts} -> {sockets: [descriptions]}
	typeServerSideEmit       = 6 // {data: [event, ...args], requestId?} -> {type: 6, data}
	typeBroadcast            = 7 // msgpack {packet, opts} -> types 8 and 9
	typeBroadcastClientCount = 8 // {type: 8, clientCount}
	typeBroadcastAck         = 9 // msgpack {type: 9, packet}
)

// Requests this node sends, in Node's key order.
type (
	selection struct {
		Rooms  []string `json:"rooms"`
		Except []string `json:"except"`
	}
	fetchRequest struct {
		UID       string    `json:"uid"`
		RequestID string    `json:"requestId"`
		Type      int       `json:"type"`
		Opts      selection `json:"opts"`
	}
	roomsRequest struct {
		UID   string    `json:"uid"`
		Type  int       `json:"type"`
		Opts  selection `json:"opts"`
		Rooms []string  `json:"rooms"`
	}
	disconnectRequest struct {
		UID   string    `json:"uid"`
		Type  int       `json:"type"`
		Opts  selection `json:"opts"`
		Close bool      `json:"close"`
	}
	serverSideEmitRequest struct {
		UID       string            `json:"uid"`
		RequestID *string           `json:"requestId,omitempty"`
		Type      int               `json:"type"`
		Data      []json.RawMessage `json:"data"`
	}
)

func wireSelection(o hub.BroadcastOptions) selection {
	return selection{Rooms: nonNil(dedup(o.Rooms)), Except: nonNil(dedup(o.Except))}
}

// eventData is the data of a SERVER_SIDE_EMIT: [event, ...args].
func eventData(event string, args [][]byte) ([]json.RawMessage, error) {
	name, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	data := make([]json.RawMessage, 0, 1+len(args))
	data = append(data, name)
	for i, a := range args {
		if len(a) == 0 {
			a = []byte("null")
		}
		if !json.Valid(a) {
			return nil, fmt.Errorf("redisadapter: argument %d is not JSON", i)
		}
		data = append(data, a)
	}
	return data, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("redisadapter: " + err.Error()) // only for types of this package
	}
	return b
}

// request is one of this node's requests waiting for answers.
type request struct {
	kind    int
	want    int // answers expected (0 for an acknowledged broadcast)
	got     int
	done    chan struct{}
	err     error // why it ended early
	sockets []hub.SocketInfo
	replies []hub.Raw
	// acknowledged broadcast
	onCount func(int)
	onAck   func(*hub.Message)
	timer   *time.Timer
}

// begin registers a request expecting want answers; init, if not nil,
// completes it under the lock. r is nil when the adapter is closed.
func (a *Adapter) begin(kind, want int, init func(id string, r *request)) (id string, r *request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return "", nil
	}
	for {
		id = newUID(10)
		if _, dup := a.pending[id]; !dup {
			break
		}
	}
	r = &request{kind: kind, want: want, done: make(chan struct{})}
	if init != nil {
		init(id, r)
	}
	a.pending[id] = r
	return id, r
}

func (a *Adapter) forget(id string) {
	a.mu.Lock()
	if r := a.pending[id]; r != nil && r.timer != nil {
		r.timer.Stop()
	}
	delete(a.pending, id)
	a.mu.Unlock()
}

// finishLocked ends r with err (nil: all answers are in).
func finishLocked(r *request, err error) {
	select {
	case <-r.done:
	default:
		r.err = err
		close(r.done)
	}
}

// failPending ends every request waiting for answers with err.
func (a *Adapter) failPending(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, r := range a.pending {
		if r.kind == typeBroadcast {
			// The hub's EmitWithAck times out on its own.
			if r.timer != nil {
				r.timer.Stop()
			}
			delete(a.pending, id)
			continue
		}
		finishLocked(r, err)
	}
}

// sendRequest publishes a request expecting answers; if it cannot be
// published the request fails at once.
func (a *Adapter) sendRequest(id string, v any) {
	a.bus.stats.requestsSent.Add(1)
	_ = a.bus.publish(outgoing{channel: a.reqChannel, payload: mustJSON(v), onErr: func(err error) {
		a.mu.Lock()
		if r := a.pending[id]; r != nil {
			finishLocked(r, unavailable(err))
		}
		a.mu.Unlock()
	}})
}

// sendCommand publishes a request that gets no answer.
func (a *Adapter) sendCommand(v any) {
	a.bus.stats.requestsSent.Add(1)
	_ = a.bus.publish(outgoing{channel: a.reqChannel, payload: mustJSON(v)}) // counted when it fails
}

// wait waits for r's answers until ctx is done (ctx carries the request
// timeout), then forgets r.
func (a *Adapter) wait(ctx context.Context, id string, r *request, what string) error {
	var err error
	select {
	case <-r.done:
		a.mu.Lock()
		err = r.err
		a.mu.Unlock()
	case <-ctx.Done():
		a.mu.Lock()
		got, want := r.got, r.want
		a.mu.Unlock()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			a.bus.stats.requestTimeouts.Add(1)
			err = fmt.Errorf("redisadapter: %s: %d of %d nodes answered in time: %w", what, got, want, ErrRequestTimeout)
		} else {
			err = fmt.Errorf("redisadapter: %s: %w", what, ctx.Err())
		}
	}
	a.forget(id)
	if err != nil && !errors.Is(err, ErrRequestTimeout) {
		a.bus.stats.requestErr.Add(1)
		err = a.requestError(what, err)
	}
	return err
}

// requestError wraps why a request failed with its name.
func (a *Adapter) requestError(what string, err error) error {
	if errors.Is(err, ErrRequestTimeout) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("redisadapter: %s on %s: %w", what, a.nsp.Name(), err)
}

// inResponse is a JSON answer to one of this node's requests.
type inResponse struct {
	Type        *int            `json:"type"`
	RequestID   string          `json:"requestId"`
	Sockets     json.RawMessage `json:"sockets"`
	Rooms       roomList        `json:"rooms"`
	ClientCount int             `json:"clientCount"`
	Data        json.RawMessage `json:"data"`
}

// onResponse handles an answer (subscriber goroutine). Answers to other
// nodes' requests are ignored.
func (a *Adapter) onResponse(payload string) {
	if payload == "" {
		return
	}
	if payload[0] != '{' {
		a.onMsgpackResponse(payload)
		return
	}
	var resp inResponse
	if err := json.Unmarshal([]byte(payload), &resp); err != nil {
		a.decodeError("response", err)
		return
	}
	a.mu.Lock()
	r := a.pending[resp.RequestID]
	a.mu.Unlock()
	if r == nil {
		return // another node's request
	}
	switch r.kind {
	case typeBroadcast:
		if resp.Type != nil && *resp.Type == typeBroadcastClientCount {
			r.onCount(resp.ClientCount)
		}
		return
	case typeRemoteFetch:
		var raws []json.RawMessage
		_ = json.Unmarshal(resp.Sockets, &raws) // no list: an answer with no socket
		sockets := make([]hub.SocketInfo, 0, len(raws))
		for _, raw := range raws {
			info, err := fromNodeSocket(raw)
			if err != nil {
				a.decodeError("socket description", err)
				continue
			}
			sockets = append(sockets, info)
		}
		a.answered(resp.RequestID, func(r *request) { r.sockets = append(r.sockets, sockets...) })
	case typeServerSideEmit:
		data := hub.Raw("null") // the handler acknowledged with nothing
		if len(resp.Data) > 0 {
			data = hub.Raw(resp.Data)
		}
		a.answered(resp.RequestID, func(r *request) { r.replies = append(r.replies, data) })
	}
}

// answered records one node's answer to request id, if still pending.
func (a *Adapter) answered(id string, record func(*request)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.pending[id]
	if r == nil {
		return
	}
	record(r)
	if r.got++; r.got >= r.want {
		finishLocked(r, nil)
	}
}

// onMsgpackResponse handles BROADCAST_ACK.
func (a *Adapter) onMsgpackResponse(payload string) {
	resp, err := decodeMsgpackResponse(payload)
	if err != nil {
		a.decodeError("response", err)
		return
	}
	a.mu.Lock()
	r := a.pending[resp.RequestID]
	a.mu.Unlock()
	if r == nil || r.kind != typeBroadcast || resp.Type != typeBroadcastAck {
		return
	}
	var args [][]byte
	if resp.HasPacket {
		args = [][]byte{resp.Packet}
	}
	r.onAck(hub.NewRemoteMessage("", args, resp.Atts, nil))
}

// onBroadcast delivers another node's broadcast to the local sockets
// (subscriber goroutine). A message for a room with no member here, or
// from this node, is dropped before its packet is decoded.
func (a *Adapter) onBroadcast(channel, payload string) {
	if len(channel) < len(a.prefix) || channel[:len(a.prefix)] != a.prefix {
		return
	}
	room := ""
	if len(channel) > len(a.prefix) {
		room = channel[len(a.prefix) : len(channel)-1]
	}
	if room != "" && !a.mem.HasRoom(room) {
		a.bus.stats.skipped.Add(1)
		return
	}
	uid, dec, err := broadcastUID(payload)
	if err != nil {
		a.decodeError("broadcast", err)
		return
	}
	if uid == a.bus.uid {
		a.bus.stats.skipped.Add(1)
		return
	}
	p, opts, err := decodeBroadcastRest(dec)
	if err != nil {
		a.decodeError("broadcast", err)
		return
	}
	if p.Nsp != a.nsp.Name() {
		return
	}
	a.mem.Broadcast(p, hub.BroadcastOptions{Rooms: opts.Rooms, Except: opts.Except, Volatile: opts.Volatile})
	a.bus.stats.delivered.Add(1)
}
