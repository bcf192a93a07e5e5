package redisadapter

import "errors"

// Errors returned by the adapter. Requests across nodes fail with an error
// wrapping one of these; the results gathered so far are returned with it.
var (
	// ErrUnavailable: Redis cannot be reached (or the subscriptions are
	// not in place); the request was not sent. Local delivery goes on.
	ErrUnavailable = errors.New("redisadapter: redis unavailable")
	// ErrRequestTimeout: some nodes did not answer a request in time.
	ErrRequestTimeout = errors.New("redisadapter: request timeout")
	// ErrClosed: the adapter or its Bus is closed.
	ErrClosed = errors.New("redisadapter: closed")
)
