package redisadapter

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/siogate/siogate/hub"
)

// Answers to the other nodes: their requests, and their broadcasts.

// inRequest is a JSON request from another node or an emitter.
type inRequest struct {
	UID       string          `json:"uid"`
	RequestID json.RawMessage `json:"requestId"` // echoed back verbatim
	Type      int             `json:"type"`
	Rooms     roomList        `json:"rooms"`
	Opts      *struct {
		Rooms  roomList `json:"rooms"`
		Except roomList `json:"except"`
	} `json:"opts"`
	SID   string          `json:"sid"`
	Room  roomName        `json:"room"`
	Close bool            `json:"close"`
	Data  json.RawMessage `json:"data"`
}

func (r *inRequest) selection() hub.BroadcastOptions {
	if r.Opts == nil {
		return hub.BroadcastOptions{}
	}
	return hub.BroadcastOptions{Rooms: r.Opts.Rooms, Except: r.Opts.Except}
}

// roomName is a room as JSON: a string or a number (Node allows numbers).
type roomName string

func (n *roomName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = roomName(s)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("redisadapter: room %s is neither a string nor a number", b)
	}
	*n = roomName(appendJSNumber(nil, f))
	return nil
}

// roomList is a list of rooms as JSON.
type roomList []string

func (l *roomList) UnmarshalJSON(b []byte) error {
	var names []roomName
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	*l = make([]string, len(names))
	for i, n := range names {
		(*l)[i] = string(n)
	}
	return nil
}

// onRequest handles a request from another node (subscriber goroutine).
func (a *Adapter) onRequest(payload string) {
	if payload == "" {
		return
	}
	if payload[0] != '{' {
		typ, br, err := decodeMsgpackRequest(payload)
		switch {
		case err != nil:
			a.decodeError("request", err)
		case typ == typeBroadcast && br.UID != a.bus.uid:
			a.bus.stats.requestsIn.Add(1)
			a.onBroadcastRequest(br)
		}
		return
	}
	var req inRequest
	if err := json.Unmarshal([]byte(payload), &req); err != nil {
		a.decodeError("request", err)
		return
	}
	if req.UID == a.bus.uid {
		return // our own, applied locally already
	}
	a.bus.stats.requestsIn.Add(1)
	switch req.Type {
	case typeSockets:
		ids := []string{}
		a.mem.Select(hub.BroadcastOptions{Rooms: req.Rooms}, func(s *hub.Socket) { ids = append(ids, s.ID()) })
		a.respond(req.UID, struct {
			RequestID json.RawMessage `json:"requestId"`
			Sockets   []string        `json:"sockets"`
		}{req.RequestID, ids})
	case typeAllRooms:
		rooms := a.mem.Rooms()
		for _, s := range a.nsp.Sockets() {
			rooms = append(rooms, s.ID()) // Node lists socket id rooms too
		}
		a.respond(req.UID, struct {
			RequestID json.RawMessage `json:"requestId"`
			Rooms     []string        `json:"rooms"`
		}{req.RequestID, rooms})
	case typeRemoteJoin, typeRemoteLeave, typeRemoteDisconnect:
		a.onRemoteCommand(&req)
	case typeRemoteFetch:
		if req.Opts == nil {
			return
		}
		infos, _ := a.mem.FetchSockets(context.Background(), req.selection())
		sockets := make([]json.RawMessage, 0, len(infos))
		for _, info := range infos {
			sockets = append(sockets, nodeSocketJSON(info))
		}
		a.respond(req.UID, struct {
			RequestID json.RawMessage   `json:"requestId"`
			Sockets   []json.RawMessage `json:"sockets"`
		}{req.RequestID, sockets})
	case typeServerSideEmit:
		a.onServerSideEmit(&req)
	}
}

// onRemoteCommand applies REMOTE_JOIN, REMOTE_LEAVE or REMOTE_DISCONNECT:
// to a selection (no answer), or in the old form to one socket id (answered
// when the socket is here).
func (a *Adapter) onRemoteCommand(req *inRequest) {
	if req.Opts != nil {
		opts := req.selection()
		switch req.Type {
		case typeRemoteJoin:
			a.mem.AddSockets(opts, req.Rooms)
		case typeRemoteLeave:
			a.mem.DelSockets(opts, req.Rooms)
		default:
			a.mem.DisconnectSockets(opts, req.Close)
		}
		return
	}
	s := a.nsp.Socket(req.SID)
	if s == nil {
		return
	}
	switch req.Type {
	case typeRemoteJoin:
		s.Join(string(req.Room))
	case typeRemoteLeave:
		s.Leave(string(req.Room))
	default:
		s.Disconnect(req.Close)
	}
	a.respond(req.UID, struct {
		RequestID json.RawMessage `json:"requestId"`
	}{req.RequestID})
}

// onServerSideEmit hands an event from another server to the namespace;
// with a requestId the handler's acknowledgement is published on the
// shared response channel (as Node does, whatever its options).
func (a *Adapter) onServerSideEmit(req *inRequest) {
	var data []json.RawMessage
	if err := json.Unmarshal(req.Data, &data); err != nil || len(data) == 0 {
		a.decodeError("server-side emit", fmt.Errorf("data %.100s", req.Data))
		return
	}
	var event string
	if err := json.Unmarshal(data[0], &event); err != nil {
		event = string(data[0])
	}
	args := make([][]byte, len(data)-1)
	for i, d := range data[1:] {
		args[i] = d
	}
	var reply func(raw, atts [][]byte) error
	if len(req.RequestID) > 0 {
		id := req.RequestID
		reply = func(raw, _ [][]byte) error {
			var arg json.RawMessage // undefined when the handler acked with nothing
			if len(raw) > 0 && len(raw[0]) > 0 {
				if !json.Valid(raw[0]) {
					return fmt.Errorf("redisadapter: acknowledgement %.50q is not JSON", raw[0])
				}
				arg = raw[0]
			}
			return a.bus.publish(outgoing{channel: a.respChannel, payload: mustJSON(struct {
				Type      int             `json:"type"`
				RequestID json.RawMessage `json:"requestId"`
				Data      json.RawMessage `json:"data,omitempty"`
			}{typeServerSideEmit, id, arg})})
		}
	}
	a.nsp.HandleServerSideEmit(hub.NewRemoteMessage(event, args, nil, reply))
}

// onBroadcastRequest runs an acknowledged broadcast of another node on the
// local sockets: the client count is answered at once, then each client's
// acknowledgement as it comes.
func (a *Adapter) onBroadcastRequest(br broadcastRequest) {
	p := br.Packet
	p.Nsp = a.nsp.Name()
	p.ID = a.nsp.NextAckID()
	opts := hub.BroadcastOptions{Rooms: br.Opts.Rooms, Except: br.Opts.Except, Volatile: br.Opts.Volatile}
	id := json.RawMessage(mustJSON(br.RequestID))
	a.mem.BroadcastWithAck(p, opts, func(n int) {
		a.respond(br.UID, struct {
			Type        int             `json:"type"`
			RequestID   json.RawMessage `json:"requestId"`
			ClientCount int             `json:"clientCount"`
		}{typeBroadcastClientCount, id, n})
	}, func(m *hub.Message) {
		if m == nil {
			return // the socket left without answering
		}
		msg, err := encodeBroadcastAck(br.RequestID, m.RawArgs(), m.Attachments())
		if err != nil {
			a.encodeFailed("acknowledgement", p.Event, err)
			return
		}
		_ = a.bus.publish(outgoing{channel: a.responseChannelFor(br.UID), payload: msg})
	})
}

// respond publishes a JSON answer to a request of node uid.
func (a *Adapter) respond(uid string, v any) {
	_ = a.bus.publish(outgoing{channel: a.responseChannelFor(uid), payload: mustJSON(v)})
}

func (a *Adapter) responseChannelFor(uid string) string {
	if a.bus.opts.PublishOnSpecificResponseChannel && uid != "" {
		return a.respChannel + uid + "#"
	}
	return a.respChannel
}

func (a *Adapter) decodeError(what string, err error) {
	a.bus.stats.decodeErrors.Add(1)
	a.bus.log.Warn("redisadapter: undecodable "+what, "nsp", a.nsp.Name(), "err", err)
}
