package sioload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// eioSeparator separates the packets of a polling payload.
const eioSeparator = 0x1e

// maxPollBody bounds one polling response.
const maxPollBody = 16 << 20

// httpStatusError is a polling request answered with a status other than
// 200 (the session is unknown, the server is shutting down...).
type httpStatusError struct {
	status int
	body   string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("sioload: polling request answered %d: %.200s", e.status, e.body)
}

// pollSocket is one Socket.IO socket over long-polling: its session id and
// the URL of its requests. Only its own goroutine uses it.
type pollSocket struct {
	p     *PollLoader
	url   string // base&sid=<sid>
	born  int64  // wall clock of the first attempt, Unix ns
	acked uint32 // last acknowledgement id received
}

// open performs the handshake: GET the open packet, POST the Socket.IO
// CONNECT, GET until the CONNECT reply.
func (p *PollLoader) open(ctx context.Context, born int64) (*pollSocket, error) {
	body, err := p.do(ctx, http.MethodGet, p.base, nil)
	if err != nil {
		return nil, err
	}
	first, _, _ := bytes.Cut(body, []byte{eioSeparator})
	if len(first) < 2 || first[0] != '0' {
		return nil, fmt.Errorf("%w: polling handshake answered %.100q", ErrHandshake, body)
	}
	var open struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(first[1:], &open); err != nil || open.SID == "" {
		return nil, fmt.Errorf("%w: polling open packet %.100q", ErrHandshake, first)
	}
	s := &pollSocket{p: p, url: p.base + "&sid=" + open.SID, born: born}
	if err := s.post(ctx, appendSIOPrefix(nil, sioConnect, p.o.Namespace)); err != nil {
		return nil, err
	}
	for {
		done, err := s.poll(ctx, true)
		if err != nil || done {
			return s, err
		}
	}
}

// run polls until the session ends or ctx is done, and returns why it
// ended.
func (s *pollSocket) run(ctx context.Context) error {
	for {
		if _, err := s.poll(ctx, false); err != nil {
			return err
		}
	}
}

// poll makes one GET and handles the packets it brings. While connecting
// it reports whether the Socket.IO CONNECT reply came.
func (s *pollSocket) poll(ctx context.Context, connecting bool) (connected bool, err error) {
	body, err := s.p.do(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return false, err
	}
	var messages, pings, other int64
	defer func() { s.p.count(messages, int64(len(body)), pings, other) }()
	pong := false
	for pkt := range bytes.SplitSeq(body, []byte{eioSeparator}) {
		messages++
		if len(pkt) == 0 {
			other++
			continue
		}
		switch pkt[0] {
		case '2':
			pong = true
			pings++
		case '1':
			return false, errEIOClose
		case '4':
			c, known, err := s.onSIO(pkt[1:], connecting)
			if err != nil {
				return false, err
			}
			connected = connected || c
			if !known {
				other++
			}
		case '6':
		default:
			other++
		}
	}
	if pong {
		if err := s.post(ctx, []byte("3")); err != nil {
			return connected, err
		}
	}
	return connected, nil
}

// onSIO handles a Socket.IO packet. It reports whether it was the CONNECT
// reply awaited while connecting, and whether the packet was one the
// loader expects (a reply, an acknowledgement, a stamped "bcast").
func (s *pollSocket) onSIO(p []byte, connecting bool) (connected, known bool, err error) {
	pk, ok := parseSIO(p)
	if !ok || string(pk.nsp) != s.nspKey() {
		return false, false, nil
	}
	switch pk.typ {
	case sioConnect:
		return connecting, connecting, nil
	case sioConnectError:
		return false, true, fmt.Errorf("%w: %.200s", ErrConnectRefused, pk.data)
	case sioDisconnect:
		return false, true, errSIODisconnect
	case sioAck:
		id, ok := ackNumber(pk.ackID)
		if ok {
			s.acked = id
		}
		return false, ok, nil
	case sioEvent:
		name, arg, ok := eventArg(pk.data)
		return false, ok && string(name) == "bcast" && s.p.record(arg), nil
	}
	return false, false, nil
}

// nspKey is the namespace as it appears in packets.
func (s *pollSocket) nspKey() string {
	if s.p.o.Namespace == "/" {
		return ""
	}
	return s.p.o.Namespace
}

// post sends one payload and expects "ok".
func (s *pollSocket) post(ctx context.Context, payload []byte) error {
	body, err := s.p.do(ctx, http.MethodPost, s.url, payload)
	if err != nil {
		return err
	}
	if string(body) != "ok" {
		return fmt.Errorf("%w: POST answered %.100q", ErrProtocol, body)
	}
	return nil
}

// do makes one request and returns the body of a 200 answer.
func (p *PollLoader) do(ctx context.Context, method, url string, payload []byte) ([]byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		req.ContentLength = int64(len(payload))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPollBody+1))
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if len(body) > maxPollBody {
		return nil, fmt.Errorf("%w: polling body over %d bytes", ErrTooLarge, maxPollBody)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &httpStatusError{status: resp.StatusCode, body: strings.TrimSpace(string(body))}
	}
	return body, nil
}

// unwrapURLError keeps the cause of a client error, so that ErrorClass
// sees a refused or reset connection; an unexpected end of the response is
// an end of file.
func unwrapURLError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%v)", io.EOF, err)
	}
	return err
}
