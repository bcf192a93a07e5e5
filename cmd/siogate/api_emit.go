package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/siogate/siogate/hub"
)

// defaultAckTimeout is the wait of an API emit with acks that names none.
const defaultAckTimeout = 5 * time.Second

type emitRequest struct {
	target
	Event     string            `json:"event"`
	Args      []json.RawMessage `json:"args"`
	Volatile  bool              `json:"volatile"`
	Ack       bool              `json:"ack"`
	TimeoutMS int               `json:"timeout_ms"`
}

// ackReply is one acknowledgement; sid and user are unknown (omitted,
// null) for an answer relayed from another server by a multi-node adapter.
type ackReply struct {
	SID  string            `json:"sid,omitempty"`
	User *string           `json:"user"`
	Args []json.RawMessage `json:"args"`
}

// apiEmit: POST /api/v1/emit.
func (g *gateway) apiEmit(w http.ResponseWriter, r *http.Request) (any, *apiError) {
	var req emitRequest
	if aerr := decodeBody(w, r, g.cfg.apiMaxBody, g.cfg.apiBodyTimeout, &req); aerr != nil {
		return nil, aerr
	}
	if req.Event == "" {
		return nil, apiErr(http.StatusBadRequest, "bad_request", `"event" is required`)
	}
	if req.Ack && req.Volatile {
		return nil, apiErr(http.StatusBadRequest, "bad_request", `"ack" and "volatile" exclude each other (a dropped packet is never acknowledged)`)
	}
	if !req.Ack && req.TimeoutMS != 0 {
		return nil, apiErr(http.StatusBadRequest, "bad_request", `"timeout_ms" only applies with "ack": true`)
	}
	timeout := defaultAckTimeout
	if req.TimeoutMS != 0 {
		timeout = time.Duration(req.TimeoutMS) * time.Millisecond
		if req.TimeoutMS < 0 || timeout > g.cfg.apiMaxAckTimeout {
			return nil, apiErr(http.StatusBadRequest, "bad_request", `"timeout_ms" must be between 1 and %d (-api-max-ack-timeout)`, g.cfg.apiMaxAckTimeout.Milliseconds())
		}
	}
	op, _, aerr := g.operator(r.Context(), req.target)
	if aerr != nil {
		return nil, aerr
	}
	args := make([]any, len(req.Args))
	for i, a := range req.Args {
		args[i] = hub.Raw(a)
	}
	if req.Volatile {
		op = op.Volatile()
	}
	if !req.Ack {
		if err := op.Emit(req.Event, args...); err != nil {
			return nil, emitError(err)
		}
		return map[string]bool{"ok": true}, nil
	}
	replies, err := op.Timeout(timeout).EmitWithAck(r.Context(), req.Event, args...)
	if err != nil && !errors.Is(err, hub.ErrAckTimeout) {
		return nil, emitError(err)
	}
	out := struct {
		Complete bool       `json:"complete"`
		Acks     []ackReply `json:"acks"`
	}{Complete: err == nil, Acks: make([]ackReply, 0, len(replies))}
	for _, m := range replies {
		rep := ackReply{Args: messageArgs(m)}
		if s := m.Socket(); s != nil {
			rep.SID, rep.User = s.ID(), userPtr(socketUser(s))
		}
		out.Acks = append(out.Acks, rep)
	}
	return out, nil
}

func emitError(err error) *apiError {
	if errors.Is(err, hub.ErrReservedEvent) {
		return apiErr(http.StatusBadRequest, "reserved_event", "the event name is reserved by Socket.IO (connect, connect_error, disconnect, disconnecting, newListener, removeListener)")
	}
	return apiErr(http.StatusInternalServerError, "emit_failed", "%v", err)
}
