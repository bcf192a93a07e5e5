package redisadapter

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/siogate/siogate/hub"
)

// A socket described for REMOTE_FETCH, as Node's adapter writes it: the id,
// the handshake (Node's shape: lower-case header names with string values,
// query values as strings), the rooms (own id first) and socket.data.
type nodeSocket struct {
	ID        string          `json:"id"`
	Handshake nodeHandshake   `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

type nodeHandshake struct {
	Headers map[string]any  `json:"headers"`
	Time    string          `json:"time"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	Issued  int64           `json:"issued"`
	URL     string          `json:"url"`
	Query   map[string]any  `json:"query"`
	Auth    json.RawMessage `json:"auth"`
}

// nodeSocketJSON describes a local socket for another node.
func nodeSocketJSON(info hub.SocketInfo) json.RawMessage {
	hs := info.Handshake
	ns := nodeSocket{
		ID:    info.ID,
		Rooms: nonNil(info.Rooms),
		Data:  json.RawMessage("{}"),
		Handshake: nodeHandshake{
			Headers: make(map[string]any, len(hs.Headers)),
			Time:    hs.Time,
			Address: hs.Address,
			XDomain: hs.XDomain,
			Secure:  hs.Secure,
			Issued:  hs.Issued,
			URL:     hs.URL,
			Query:   make(map[string]any, len(hs.Query)),
			Auth:    json.RawMessage("{}"),
		},
	}
	for k, vs := range hs.Headers {
		k = strings.ToLower(k)
		switch {
		case k == "set-cookie":
			ns.Handshake.Headers[k] = vs
		case len(vs) == 1:
			ns.Handshake.Headers[k] = vs[0]
		case k == "cookie":
			ns.Handshake.Headers[k] = strings.Join(vs, "; ")
		case len(vs) > 1:
			ns.Handshake.Headers[k] = strings.Join(vs, ", ")
		}
	}
	for k, vs := range hs.Query {
		if len(vs) == 1 {
			ns.Handshake.Query[k] = vs[0]
		} else if len(vs) > 1 {
			ns.Handshake.Query[k] = vs
		}
	}
	if len(hs.Auth) > 0 && json.Valid(hs.Auth) {
		ns.Handshake.Auth = json.RawMessage(hs.Auth)
	}
	if len(info.Data) > 0 {
		if b, err := json.Marshal(info.Data); err == nil {
			ns.Data = b
		}
	}
	b, err := json.Marshal(ns)
	if err != nil { // only Data can fail, and it was checked
		return json.RawMessage(`{"id":` + string(mustJSON(info.ID)) + `}`)
	}
	return b
}

// fromNodeSocket reads another node's socket description. Header names
// are canonicalized (Headers.Get works); socket.data becomes Data when it
// is an object.
func fromNodeSocket(raw json.RawMessage) (hub.SocketInfo, error) {
	var ns struct {
		ID        string   `json:"id"`
		Rooms     roomList `json:"rooms"`
		Handshake struct {
			Headers map[string]json.RawMessage `json:"headers"`
			Time    string                     `json:"time"`
			Address string                     `json:"address"`
			XDomain bool                       `json:"xdomain"`
			Secure  bool                       `json:"secure"`
			Issued  float64                    `json:"issued"`
			URL     string                     `json:"url"`
			Query   map[string]json.RawMessage `json:"query"`
			Auth    json.RawMessage            `json:"auth"`
		} `json:"handshake"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &ns); err != nil {
		return hub.SocketInfo{}, err
	}
	hs := ns.Handshake
	info := hub.SocketInfo{
		ID:    ns.ID,
		Rooms: ns.Rooms,
		Handshake: hub.HandshakeInfo{
			Headers: make(http.Header, len(hs.Headers)),
			Time:    hs.Time,
			Address: hs.Address,
			XDomain: hs.XDomain,
			Secure:  hs.Secure,
			Issued:  int64(hs.Issued),
			URL:     hs.URL,
			Query:   make(url.Values, len(hs.Query)),
			Auth:    hub.Raw(hs.Auth),
		},
	}
	for k, v := range hs.Headers {
		info.Handshake.Headers[http.CanonicalHeaderKey(k)] = stringValues(v)
	}
	for k, v := range hs.Query {
		info.Handshake.Query[k] = stringValues(v)
	}
	var data map[string]any
	if json.Unmarshal(ns.Data, &data) == nil {
		info.Data = data
	}
	return info, nil
}

// stringValues reads a string, a list of strings, or else any value as its
// JSON text.
func stringValues(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return ss
	}
	return []string{string(raw)}
}
