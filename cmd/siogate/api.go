package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// apiError is an HTTP API failure, sent as
// {"error": code, "message": message, "request_id": ..., "details": ...}.
type apiError struct {
	status  int
	code    string
	message string
	details any
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func apiErr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// apiHandler serves one route: it returns the 200 body or an error.
type apiHandler func(w http.ResponseWriter, r *http.Request) (any, *apiError)

type apiRoute struct {
	method, path string
	h            apiHandler
}

// api is the HTTP API under /api/v1/, behind the bearer API key.
func (g *gateway) api() http.Handler {
	routes := []apiRoute{
		{http.MethodPost, "/api/v1/emit", g.apiEmit},
		{http.MethodPost, "/api/v1/join", g.apiJoin},
		{http.MethodPost, "/api/v1/leave", g.apiLeave},
		{http.MethodPost, "/api/v1/disconnect", g.apiDisconnect},
		{http.MethodGet, "/api/v1/rooms", g.apiRooms},
		{http.MethodGet, "/api/v1/rooms/{room}/sockets", g.apiRoomSockets},
		{http.MethodGet, "/api/v1/users/{user}/sockets", g.apiUserSockets},
		{http.MethodGet, "/api/v1/sockets/{sid}", g.apiSocket},
		{http.MethodGet, "/api/v1/stats", g.apiStats},
	}
	mux := http.NewServeMux()
	paths := http.NewServeMux() // the same paths without methods, for 405
	allow := map[string][]string{}
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, g.apiEndpoint(rt.h))
		if allow[rt.path] == nil {
			paths.Handle(rt.path, http.NotFoundHandler())
		}
		allow[rt.path] = append(allow[rt.path], rt.method)
	}
	mux.Handle("/", g.apiEndpoint(func(w http.ResponseWriter, r *http.Request) (any, *apiError) {
		if _, pattern := paths.Handler(r); pattern != "" {
			w.Header().Set("Allow", strings.Join(allow[pattern], ", "))
			return nil, apiErr(http.StatusMethodNotAllowed, "method_not_allowed", "%s %s: use %s", r.Method, r.URL.Path, strings.Join(allow[pattern], " or "))
		}
		return nil, apiErr(http.StatusNotFound, "not_found", "no API route %s %s (see docs/api.md)", r.Method, r.URL.Path)
	}))
	return mux
}

// apiEndpoint wraps a route: request id, API key, JSON answer, metrics and
// a log line.
func (g *gateway) apiEndpoint(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		w.Header().Set("X-Request-Id", id)
		route := r.Pattern
		if route == "/" {
			route = "unmatched"
		}
		var (
			body any
			aerr *apiError
		)
		if aerr = g.checkAPIKey(w, r); aerr == nil {
			body, aerr = h(w, r)
		}
		status := http.StatusOK
		if aerr != nil {
			status = aerr.status
			body = struct {
				Error     string `json:"error"`
				Message   string `json:"message"`
				RequestID string `json:"request_id"`
				Details   any    `json:"details,omitempty"`
			}{aerr.code, aerr.message, id, aerr.details}
		}
		// Counted before the answer leaves, so a caller that reads the
		// answer and then scrapes sees its request.
		d := time.Since(start)
		g.metrics.apiRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
		g.metrics.apiSeconds.WithLabelValues(route).Observe(d.Seconds())
		writeJSON(w, status, body)
		level := slog.LevelDebug
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelInfo
		}
		attrs := []any{"request_id", id, "method", r.Method, "route", route, "status", status, "dur", d}
		if aerr != nil {
			attrs = append(attrs, "err", aerr.code)
		}
		g.logger.Log(r.Context(), level, "api request", attrs...)
	})
}

// checkAPIKey accepts "Authorization: Bearer <key>" with any of the
// configured keys, comparing digests in constant time.
func (g *gateway) checkAPIKey(w http.ResponseWriter, r *http.Request) *apiError {
	if len(g.apiKeys) == 0 {
		return apiErr(http.StatusNotFound, "api_disabled", "the HTTP API is off: start siogate with -api-key (or SIOGATE_API_KEY)")
	}
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="siogate"`)
		return apiErr(http.StatusUnauthorized, "missing_api_key", "send the API key as Authorization: Bearer <key>")
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(key)))
	match := 0
	for _, k := range g.apiKeys {
		want := sha256.Sum256(k)
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	if match != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="siogate", error="invalid_token"`)
		return apiErr(http.StatusUnauthorized, "invalid_api_key", "the API key is not valid")
	}
	return nil
}

// requestID returns the caller's X-Request-Id when it is short and plain,
// else a new random id.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && !strings.ContainsFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:", c))
	}) {
		return id
	}
	return newRequestID()
}

func newRequestID() string { return rand.Text()[:16] }

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal","message":"the answer does not encode"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeBody reads one JSON object of at most max bytes, arriving within
// timeout, into v; unknown fields, trailing data, oversized and late
// bodies are errors.
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, timeout time.Duration, v any) *apiError {
	if r.ContentLength > max {
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "request body of %d bytes is over the %d-byte limit (-api-max-body)", r.ContentLength, max)
	}
	// The plain-HTTP server has no ReadTimeout (long-polling GETs share
	// it), so the body gets its own deadline; where the connection has
	// none (ErrNotSupported) nothing changes.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	body := http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			var mbe *http.MaxBytesError
			if errors.As(terr, &mbe) {
				err = terr
			} else {
				return apiErr(http.StatusBadRequest, "bad_json", "trailing data after the JSON object")
			}
		}
	}
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "request body is over the %d-byte limit (-api-max-body)", max)
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		return apiErr(http.StatusRequestTimeout, "body_timeout", "request body did not arrive within %v (-api-body-timeout)", timeout)
	case errors.Is(err, io.EOF):
		return apiErr(http.StatusBadRequest, "bad_json", "empty body: a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiErr(http.StatusBadRequest, "bad_json", "malformed JSON: the body ends early")
	case errors.As(err, &se):
		return apiErr(http.StatusBadRequest, "bad_json", "malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		return apiErr(http.StatusBadRequest, "bad_json", "field %q: %s is not a valid %s", te.Field, te.Value, te.Type)
	default:
		return apiErr(http.StatusBadRequest, "bad_json", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// checkNames refuses empty or oversized names in a list field.
func checkNames(field string, names []string) *apiError {
	for i, n := range names {
		if n == "" || len(n) > 1024 {
			return apiErr(http.StatusBadRequest, "bad_request", "%s[%d]: names must be 1 to 1024 bytes", field, i)
		}
	}
	if len(names) > 10000 {
		return apiErr(http.StatusBadRequest, "bad_request", "%s: at most 10000 entries", field)
	}
	return nil
}

// uniq returns names without duplicates, in first-seen order.
func uniq(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
