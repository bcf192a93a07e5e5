package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siogate/siogate/hub"
)

// socketJSON describes one socket in API answers.
type socketJSON struct {
	SID       string   `json:"sid"`
	User      *string  `json:"user"`
	Rooms     []string `json:"rooms"` // its own id first
	Address   string   `json:"address"`
	Transport string   `json:"transport,omitempty"` // sockets of this node only
	Connected string   `json:"connected"`           // handshake time, RFC 1123
}

func (g *gateway) describe(n *hub.Namespace, infos []hub.SocketInfo) []socketJSON {
	out := make([]socketJSON, 0, len(infos))
	for _, info := range infos {
		u, _ := info.Data[userKey].(string)
		sj := socketJSON{SID: info.ID, User: userPtr(u), Rooms: info.Rooms, Address: info.Handshake.Address, Connected: info.Handshake.Time}
		if s := n.Socket(info.ID); s != nil {
			sj.Transport = s.Transport()
		}
		out = append(out, sj)
	}
	slices.SortFunc(out, func(a, b socketJSON) int { return strings.Compare(a.SID, b.SID) })
	return out
}

type joinRequest struct {
	target
	Join []string `json:"join"`
}

type leaveRequest struct {
	target
	Leave []string `json:"leave"`
}

type disconnectRequest struct {
	target
	Close bool `json:"close"`
}

// selected returns how many sockets op selects; none is 404 no_sockets.
func selected(r *http.Request, op hub.BroadcastOperator) (int, *apiError) {
	infos, err := op.FetchSockets(r.Context())
	if err != nil {
		return 0, apiErr(http.StatusServiceUnavailable, "fetch_failed", "could not list the sockets: %v", err)
	}
	if len(infos) == 0 {
		return 0, apiErr(http.StatusNotFound, "no_sockets", "no connected socket matches the target")
	}
	return len(infos), nil
}

// apiJoin: POST /api/v1/join.
func (g *gateway) apiJoin(w http.ResponseWriter, r *http.Request) (any, *apiError) {
	var req joinRequest
	if aerr := decodeBody(w, r, g.cfg.apiMaxBody, g.cfg.apiBodyTimeout, &req); aerr != nil {
		return nil, aerr
	}
	return g.roomsChange(r, req.target, "join", req.Join, func(op hub.BroadcastOperator, rooms []string) { op.SocketsJoin(rooms...) })
}

// apiLeave: POST /api/v1/leave.
func (g *gateway) apiLeave(w http.ResponseWriter, r *http.Request) (any, *apiError) {
	var req leaveRequest
	if aerr := decodeBody(w, r, g.cfg.apiMaxBody, g.cfg.apiBodyTimeout, &req); aerr != nil {
		return nil, aerr
	}
	return g.roomsChange(r, req.target, "leave", req.Leave, func(op hub.BroadcastOperator, rooms []string) { op.SocketsLeave(rooms...) })
}

func (g *gateway) roomsChange(r *http.Request, t target, field string, rooms []string, apply func(hub.BroadcastOperator, []string)) (any, *apiError) {
	if len(rooms) == 0 {
		return nil, apiErr(http.StatusBadRequest, "bad_request", "%q: name at least one room", field)
	}
	if aerr := checkNames(field, rooms); aerr != nil {
		return nil, aerr
	}
	op, _, aerr := g.operator(r.Context(), t)
	if aerr != nil {
		return nil, aerr
	}
	count, aerr := selected(r, op)
	if aerr != nil {
		return nil, aerr
	}
	apply(op, uniq(rooms))
	return map[string]int{"sockets": count}, nil
}

// apiDisconnect: POST /api/v1/disconnect.
func (g *gateway) apiDisconnect(w http.ResponseWriter, r *http.Request) (any, *apiError) {
	var req disconnectRequest
	if aerr := decodeBody(w, r, g.cfg.apiMaxBody, g.cfg.apiBodyTimeout, &req); aerr != nil {
		return nil, aerr
	}
	op, _, aerr := g.operator(r.Context(), req.target)
	if aerr != nil {
		return nil, aerr
	}
	count, aerr := selected(r, op)
	if aerr != nil {
		return nil, aerr
	}
	op.DisconnectSockets(req.Close)
	return map[string]int{"sockets": count}, nil
}

// apiRooms: GET /api/v1/rooms?nsp=&prefix=&limit=.
func (g *gateway) apiRooms(_ http.ResponseWriter, r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	n, aerr := g.namespace(q.Get("nsp"))
	if aerr != nil {
		return nil, aerr
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		l, err := strconv.Atoi(v)
		if err != nil || l < 1 || l > 100000 {
			return nil, apiErr(http.StatusBadRequest, "bad_request", "limit must be between 1 and 100000")
		}
		limit = l
	}
	prefix := q.Get("prefix")
	var rooms []string
	for _, room := range n.Adapter().Rooms() {
		if strings.HasPrefix(room, prefix) {
			rooms = append(rooms, room)
		}
	}
	slices.Sort(rooms)
	total := len(rooms)
	if total > limit {
		rooms = rooms[:limit]
	}
	if rooms == nil {
		rooms = []string{}
	}
	return map[string]any{"nsp": n.Name(), "rooms": rooms, "count": total, "truncated": total > limit}, nil
}

// apiRoomSockets: GET /api/v1/rooms/{room}/sockets?nsp=. A room with no
// socket does not exist: 404.
func (g *gateway) apiRoomSockets(_ http.ResponseWriter, r *http.Request) (any, *apiError) {
	n, aerr := g.namespace(r.URL.Query().Get("nsp"))
	if aerr != nil {
		return nil, aerr
	}
	room := r.PathValue("room")
	infos, err := n.To(room).FetchSockets(r.Context())
	if err != nil {
		return nil, apiErr(http.StatusServiceUnavailable, "fetch_failed", "could not list the sockets: %v", err)
	}
	if len(infos) == 0 {
		return nil, apiErr(http.StatusNotFound, "unknown_room", "room %q has no socket in %s", room, n.Name())
	}
	return map[string]any{"nsp": n.Name(), "room": room, "sockets": g.describe(n, infos)}, nil
}

// apiUserSockets: GET /api/v1/users/{user}/sockets?nsp=. An offline user
// has an empty list.
func (g *gateway) apiUserSockets(_ http.ResponseWriter, r *http.Request) (any, *apiError) {
	n, aerr := g.namespace(r.URL.Query().Get("nsp"))
	if aerr != nil {
		return nil, aerr
	}
	user := r.PathValue("user")
	infos, err := n.To(userRoom(user)).FetchSockets(r.Context())
	if err != nil {
		return nil, apiErr(http.StatusServiceUnavailable, "fetch_failed", "could not list the sockets: %v", err)
	}
	return map[string]any{"nsp": n.Name(), "user": user, "sockets": g.describe(n, infos)}, nil
}

// apiSocket: GET /api/v1/sockets/{sid}?nsp=.
func (g *gateway) apiSocket(_ http.ResponseWriter, r *http.Request) (any, *apiError) {
	n, aerr := g.namespace(r.URL.Query().Get("nsp"))
	if aerr != nil {
		return nil, aerr
	}
	sid := r.PathValue("sid")
	infos, err := n.To(sid).FetchSockets(r.Context())
	if err != nil {
		return nil, apiErr(http.StatusServiceUnavailable, "fetch_failed", "could not list the sockets: %v", err)
	}
	for _, sj := range g.describe(n, infos) {
		if sj.SID == sid {
			return sj, nil
		}
	}
	return nil, apiErr(http.StatusNotFound, "unknown_sid", "socket %q is not connected to %s", sid, n.Name())
}

// apiStats: GET /api/v1/stats.
func (g *gateway) apiStats(_ http.ResponseWriter, _ *http.Request) (any, *apiError) {
	type nspStats struct {
		Sockets int `json:"sockets"`
		Rooms   int `json:"rooms"`
	}
	hs := g.srv.Stats()
	nsps := make(map[string]nspStats, len(g.nsps))
	for name, n := range g.nsps {
		nsps[name] = nspStats{Sockets: n.Len(), Rooms: len(n.Adapter().Rooms())}
	}
	return map[string]any{
		"uptime_seconds": int64(time.Since(g.start).Seconds()),
		"draining":       g.draining.Load(),
		"clients":        hs.Clients,
		"sockets":        hs.Sockets,
		"namespaces":     nsps,
		"hub":            hs,
		"engineio":       g.srv.Engine().Stats(),
		"reactor":        g.reactor.Stats(),
	}, nil
}
