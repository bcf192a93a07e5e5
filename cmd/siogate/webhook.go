package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siogate/siogate/hub"
)

// maxHookAnswer bounds the body read from the backend.
const maxHookAnswer = 1 << 20

// hookPayload is what the backend receives, as a JSON POST.
type hookPayload struct {
	Event string            `json:"event"` // "connect", "disconnect" or the client's event name
	Nsp   string            `json:"nsp"`
	SID   string            `json:"sid"`
	User  *string           `json:"user"` // null for an anonymous socket
	Args  []json.RawMessage `json:"args"` // connect: [auth without token]; disconnect: [reason]
}

// Webhook failures. Their messages reach clients (ack errors), so they say
// what failed without naming the backend.
var (
	errHookBusy        = errors.New("backend busy: too many webhook calls waiting")
	errHookTimeout     = errors.New("backend timed out")
	errHookUnreachable = errors.New("backend unreachable")
	errHookTooLarge    = errors.New("backend answer too large")
	errHookBadAnswer   = errors.New("backend answer is not JSON")
)

// hookStatusError: the backend answered with an unexpected status.
type hookStatusError struct{ status int }

func (e *hookStatusError) Error() string { return fmt.Sprintf("backend answered %d", e.status) }

// publicError is what a client may see of a webhook failure: the kind of
// failure, never the backend's address or the network error.
func publicError(err error) error {
	var se *hookStatusError
	if errors.As(err, &se) {
		return se
	}
	for _, known := range []error{errHookBusy, errHookTimeout, errHookUnreachable, errHookTooLarge, errHookBadAnswer} {
		if errors.Is(err, known) {
			return known
		}
	}
	return errors.New("backend call failed")
}

// outcome is the metric label of a webhook result.
func outcome(err error) string {
	var se *hookStatusError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errHookBusy):
		return "busy"
	case errors.Is(err, errHookTimeout):
		return "timeout"
	case errors.Is(err, errHookUnreachable):
		return "unreachable"
	case errors.As(err, &se) && se.status >= 500:
		return "status_5xx"
	case errors.As(err, &se):
		return "status_other"
	default:
		return "bad_answer"
	}
}

// webhooks posts socket lifecycle and client events to the backend.
// Connect and event calls run on the calling handler's goroutine (so one
// client's events reach the backend in order); disconnect notifications are
// queued and posted by the webhooks' own workers, which Close waits for. At
// most -webhook-concurrency requests are in flight; at most -webhook-queue
// calls wait for a slot, later ones fail at once as busy.
type webhooks struct {
	url       string
	secret    string
	client    *http.Client
	timeout   time.Duration
	retries   int
	failOpen  bool
	connect   bool
	disc      bool
	allEvents bool
	events    map[string]bool

	slots    chan struct{}
	waiting  atomic.Int64
	maxWait  int64
	inFlight atomic.Int64

	base   context.Context // cancelled when Close gives up: retries stop
	cancel context.CancelFunc
	mu     sync.RWMutex // guards closed against sends on notes
	closed bool
	notes  chan hookPayload
	wg     sync.WaitGroup

	m      *metrics
	logger *slog.Logger
}

// newWebhooks returns nil when no -webhook-url is configured.
func newWebhooks(cfg config, m *metrics, logger *slog.Logger) *webhooks {
	if cfg.webhookURL == "" {
		return nil
	}
	w := &webhooks{
		url:      cfg.webhookURL,
		secret:   cfg.webhookSecret,
		timeout:  cfg.webhookTimeout,
		retries:  cfg.webhookRetries,
		failOpen: cfg.webhookFailOpen,
		events:   make(map[string]bool),
		slots:    make(chan struct{}, cfg.webhookConcurrency),
		maxWait:  int64(cfg.webhookQueue),
		notes:    make(chan hookPayload, cfg.webhookQueue),
		m:        m,
		logger:   logger,
	}
	for _, e := range cfg.webhookEvents {
		switch e {
		case "*":
			w.connect, w.disc, w.allEvents = true, true, true
		case "connect":
			w.connect = true
		case "disconnect":
			w.disc = true
		default:
			w.events[e] = true
		}
	}
	dialer := &net.Dialer{Timeout: cfg.webhookTimeout, KeepAlive: 30 * time.Second}
	w.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         dialer.DialContext,
			MaxIdleConns:        cfg.webhookConcurrency,
			MaxIdleConnsPerHost: cfg.webhookConcurrency,
			IdleConnTimeout:     90 * time.Second,
		},
		// A redirected POST is a misconfiguration; report it as a status.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	w.base, w.cancel = context.WithCancel(context.Background())
	workers := min(cfg.webhookConcurrency, 16)
	w.wg.Add(workers)
	for range workers {
		go w.notifier()
	}
	return w
}

// wantsEvent reports whether client event name is posted.
func (w *webhooks) wantsEvent(name string) bool {
	return w != nil && (w.allEvents || w.events[name])
}

// eventNames lists the configured client events ("*" for all).
func (w *webhooks) eventNames() []string {
	if w.allEvents {
		return []string{"*"}
	}
	out := make([]string, 0, len(w.events))
	for e := range w.events {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// callConnect asks the backend whether a socket may connect. A 2xx answer
// accepts; a 4xx answer refuses with the answer's {"message", "data"}; a
// failure refuses with "backend unavailable" (accepts with
// -webhook-fail-open). code is the handshake-rejection metric label.
func (w *webhooks) callConnect(p hookPayload) (refuse *hub.ConnectError, code string) {
	status, body, err := w.call(p)
	if err == nil && status >= 200 && status < 300 {
		w.m.webhook("connect", "ok")
		return nil, ""
	}
	if err == nil && status >= 400 && status < 500 {
		w.m.webhook("connect", "rejected")
		var answer struct {
			Message string `json:"message"`
			Data    any    `json:"data"`
		}
		_ = json.Unmarshal(body, &answer)
		if answer.Message == "" {
			answer.Message = "connection refused by the backend"
		}
		return &hub.ConnectError{Message: answer.Message, Data: answer.Data}, "webhook_rejected"
	}
	if err == nil {
		err = &hookStatusError{status}
	}
	w.m.webhook("connect", outcome(err))
	w.logger.Warn("connect webhook failed", "sid", p.SID, "nsp", p.Nsp, "err", err, "fail_open", w.failOpen)
	if w.failOpen {
		return nil, ""
	}
	return &hub.ConnectError{Message: "connection refused: backend unavailable", Data: map[string]string{"code": "webhook_error"}}, "webhook_error"
}

// callEvent posts a client event and returns the backend's answer as ack
// arguments: a JSON array is the argument list, any other JSON value is
// the only argument, an empty body is an ack without arguments.
func (w *webhooks) callEvent(p hookPayload) ([][]byte, error) {
	status, body, err := w.call(p)
	if err == nil && (status < 200 || status >= 300) {
		err = &hookStatusError{status}
	}
	var args [][]byte
	if err == nil {
		args, err = ackArgs(body)
	}
	w.m.webhook("event", outcome(err))
	if err != nil {
		w.logger.Debug("event webhook failed", "sid", p.SID, "nsp", p.Nsp, "event", p.Event, "err", err)
	}
	return args, err
}

func ackArgs(body []byte) ([][]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	if !json.Valid(body) {
		return nil, errHookBadAnswer
	}
	if body[0] != '[' {
		return [][]byte{body}, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return nil, errHookBadAnswer
	}
	out := make([][]byte, len(elems))
	for i, e := range elems {
		out[i] = e
	}
	return out, nil
}

// call posts p within -webhook-timeout, waiting for a slot if need be.
func (w *webhooks) call(p hookPayload) (int, []byte, error) {
	return w.callCtx(context.Background(), p, true)
}

// callCtx posts p and returns the answer's status and body. limited: the
// caller counts against -webhook-queue while it waits for a slot.
func (w *webhooks) callCtx(parent context.Context, p hookPayload, limited bool) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(parent, w.timeout)
	defer cancel()
	if err := w.acquire(ctx, limited); err != nil {
		return 0, nil, err
	}
	defer func() { <-w.slots }()
	w.inFlight.Add(1)
	defer w.inFlight.Add(-1)

	body, err := json.Marshal(p)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "siogate")
	req.Header.Set("X-Siogate-Event", p.Event)
	req.Header.Set("X-Request-Id", newRequestID())
	if w.secret != "" {
		req.Header.Set("Authorization", "Bearer "+w.secret)
	}
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.m.webhookLatency(p.kind(), time.Since(start))
		if ctx.Err() != nil {
			return 0, nil, errHookTimeout
		}
		return 0, nil, fmt.Errorf("%w: %w", errHookUnreachable, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxHookAnswer+1))
	w.m.webhookLatency(p.kind(), time.Since(start))
	switch {
	case err != nil && ctx.Err() != nil:
		return 0, nil, errHookTimeout
	case err != nil:
		return 0, nil, fmt.Errorf("%w: %w", errHookUnreachable, err)
	case len(answer) > maxHookAnswer:
		return 0, nil, errHookTooLarge
	}
	return resp.StatusCode, answer, nil
}

// acquire takes a request slot, waiting until ctx ends if none is free.
// limited: the wait counts against -webhook-queue, and a full queue fails
// at once with errHookBusy.
func (w *webhooks) acquire(ctx context.Context, limited bool) error {
	select {
	case w.slots <- struct{}{}:
		return nil
	default:
	}
	if limited {
		if w.waiting.Add(1) > w.maxWait {
			w.waiting.Add(-1)
			return errHookBusy
		}
		defer w.waiting.Add(-1)
	}
	select {
	case w.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errHookTimeout
	}
}

// kind is the metric label of a payload: connect, disconnect or event.
func (p hookPayload) kind() string {
	switch p.Event {
	case "connect", "disconnect":
		return p.Event
	}
	return "event"
}
