package main

import (
	"context"
	"net/http"

	"github.com/siogate/siogate/hub"
)

// target selects sockets of one namespace: the union of rooms, socket ids
// and users (or every socket with all), minus the except lists.
type target struct {
	Nsp         string   `json:"nsp"`
	Rooms       []string `json:"rooms"`
	Sids        []string `json:"sids"`
	Users       []string `json:"users"`
	All         bool     `json:"all"`
	ExceptRooms []string `json:"except_rooms"`
	ExceptSids  []string `json:"except_sids"`
	ExceptUsers []string `json:"except_users"`
}

// operator turns t into a broadcast operator on its namespace. Socket ids
// that are not connected are an error (404 unknown_sid): a backend that
// names one socket wants to know it is gone. Rooms and users with no
// socket are not: sending to an empty room or an offline user is normal.
func (g *gateway) operator(ctx context.Context, t target) (hub.BroadcastOperator, *hub.Namespace, *apiError) {
	var op hub.BroadcastOperator
	n, aerr := g.namespace(t.Nsp)
	if aerr != nil {
		return op, nil, aerr
	}
	for _, f := range []struct {
		name  string
		names []string
	}{
		{"rooms", t.Rooms}, {"sids", t.Sids}, {"users", t.Users},
		{"except_rooms", t.ExceptRooms}, {"except_sids", t.ExceptSids}, {"except_users", t.ExceptUsers},
	} {
		if aerr := checkNames(f.name, f.names); aerr != nil {
			return op, nil, aerr
		}
	}
	picked := len(t.Rooms) + len(t.Sids) + len(t.Users)
	switch {
	case t.All && picked > 0:
		return op, nil, apiErr(http.StatusBadRequest, "bad_target", `"all" excludes rooms, sids and users`)
	case !t.All && picked == 0:
		return op, nil, apiErr(http.StatusBadRequest, "no_target", `name rooms, sids or users, or set "all": true for every socket of the namespace`)
	}
	if len(t.Sids) > 0 {
		if unknown := g.unknownSids(ctx, n, uniq(t.Sids)); len(unknown) > 0 {
			e := apiErr(http.StatusNotFound, "unknown_sid", "%d of the sids are not connected to %s", len(unknown), n.Name())
			e.details = map[string][]string{"sids": unknown}
			return op, nil, e
		}
	}
	sel := append(append([]string{}, t.Rooms...), t.Sids...)
	for _, u := range t.Users {
		sel = append(sel, userRoom(u))
	}
	except := append(append([]string{}, t.ExceptRooms...), t.ExceptSids...)
	for _, u := range t.ExceptUsers {
		except = append(except, userRoom(u))
	}
	op = n.To(uniq(sel)...)
	if len(except) > 0 {
		op = op.Except(uniq(except)...)
	}
	return op, n, nil
}

// namespace returns a configured namespace ("" is "/").
func (g *gateway) namespace(name string) (*hub.Namespace, *apiError) {
	if name == "" {
		name = "/"
	}
	n := g.nsps[name]
	if n == nil {
		return nil, apiErr(http.StatusNotFound, "unknown_namespace", "namespace %q is not served (see -namespaces)", name)
	}
	return n, nil
}

// unknownSids returns the ids in sids that name no connected socket: local
// ones are looked up directly, the rest through the adapter.
func (g *gateway) unknownSids(ctx context.Context, n *hub.Namespace, sids []string) []string {
	var missing []string
	for _, id := range sids {
		if n.Socket(id) == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	found := map[string]bool{}
	if infos, err := n.To(missing...).FetchSockets(ctx); err == nil {
		for _, info := range infos {
			found[info.ID] = true
		}
	}
	var unknown []string
	for _, id := range missing {
		if !found[id] {
			unknown = append(unknown, id)
		}
	}
	return unknown
}
