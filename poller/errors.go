package poller

import (
	"errors"
	"fmt"

	"github.com/gobwas/ws"
)

// Close reasons. Every closed Conn reports exactly one of these (or a
// *PeerCloseError, a *wsframe.CloseError or a *WriteError) to its
// Handler.OnClose.
var (
	// ErrClosed is returned by writes to a connection that is closing or closed.
	ErrClosed = errors.New("poller: connection closed")
	// ErrPeerClosed: the peer closed or reset TCP without a close frame.
	ErrPeerClosed = errors.New("poller: connection closed by peer")
	// ErrLocalClose: server code closed the connection with Conn.Close.
	ErrLocalClose = errors.New("poller: connection closed by server")
	// ErrSlowConsumer: the outbound queue passed MaxQueuedBytes.
	ErrSlowConsumer = errors.New("poller: slow consumer")
	// ErrServerClosed: the server is shutting down.
	ErrServerClosed = errors.New("poller: server shutting down")
	// ErrDropped is returned for a volatile frame dropped because the socket
	// is backlogged; the connection stays open.
	ErrDropped = errors.New("poller: volatile frame dropped")
)

// PeerCloseError reports that the peer sent a WebSocket close frame.
type PeerCloseError struct {
	Code   ws.StatusCode
	Reason string
}

func (e *PeerCloseError) Error() string {
	return fmt.Sprintf("poller: peer sent close %d %q", e.Code, e.Reason)
}

// WriteError reports a failed write to the socket (other than EAGAIN).
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return "poller: write: " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// HTTPError rejects a WebSocket handshake: the client gets Status with Body.
// An upgrade callback returns it to refuse a connection.
type HTTPError struct {
	Status      int
	ContentType string // default "text/plain; charset=utf-8"
	Body        []byte
	Header      map[string]string // extra response headers
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("poller: handshake rejected with %d: %s", e.Status, e.Body)
}
