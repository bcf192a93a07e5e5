package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
)

// config is every setting of the gateway. Only this file reads flags and
// the environment; the rest of the binary receives a config.
type config struct {
	addr           string
	path           string
	namespaces     []string
	pingInterval   time.Duration
	pingTimeout    time.Duration
	connectTimeout time.Duration
	maxPayload     int
	maxQueued      int
	workers        int
	allowedOrigins []string // nil: same host; ["*"]: any origin

	shutdownTimeout time.Duration
	drainSpread     time.Duration

	logLevel  slog.Level
	logFormat string // "text" or "json"

	jwtSecret      string
	jwtPublicKey   string // PEM text or the path of a PEM file
	jwtUserClaim   string
	jwtIssuer      string
	jwtAudience    string
	allowAnonymous bool

	apiKeys          []string
	apiMaxBody       int64
	apiMaxAckTimeout time.Duration
	apiBodyTimeout   time.Duration

	webhookURL         string
	redisURL           string
	reusePort          bool
	webhookEvents      []string
	webhookSecret      string
	webhookTimeout     time.Duration
	webhookConcurrency int
	webhookQueue       int
	webhookRetries     int
	webhookFailOpen    bool

	limits limitsConfig // limits.go

	recovery                 bool // connection state recovery (docs/recovery.md)
	recoveryMaxDisconnection time.Duration

	chat        bool // serve the chat page at / and its namespace
	chatHistory int  // messages kept per chat room
}

const usageHeader = `siogate: a Socket.IO v4 gateway (Engine.IO v4 + Socket.IO v5, WebSocket and
HTTP long-polling on one port) with JWT auth, an HTTP API for backends,
webhooks, Prometheus metrics and graceful drain.

Usage: siogate [flags]

Every flag can also be set with the environment variable named after it
(SIOGATE_ADDR for -addr, SIOGATE_JWT_SECRET for -jwt-secret, ...); a flag on
the command line wins over the environment. Lists are comma-separated.
Prefer the environment for secrets: command lines are visible to other users.

Flags:
`

// parseConfig reads the environment, then args. It returns flag.ErrHelp
// (after printing the usage to out) when -h is given.
func parseConfig(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("siogate", flag.ContinueOnError)
	fs.SetOutput(out)
	var (
		namespaces, origins, level, apiKeys, hookEvents string
		apiMaxBody                                      int
	)
	fs.StringVar(&c.addr, "addr", ":3000", "listen address")
	fs.StringVar(&c.path, "path", "/socket.io/", "Socket.IO endpoint path")
	fs.StringVar(&namespaces, "namespaces", "/", "namespaces clients may connect to")
	fs.DurationVar(&c.pingInterval, "ping-interval", 25*time.Second, "Engine.IO ping interval")
	fs.DurationVar(&c.pingTimeout, "ping-timeout", 20*time.Second, "Engine.IO ping timeout")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", 45*time.Second, "a connection that joins no namespace within this is closed")
	fs.IntVar(&c.maxPayload, "max-payload", 1000000, "largest message or polling body a client may send, bytes")
	fs.IntVar(&c.maxQueued, "max-queued", 1<<20, "outbound bytes queued per client before it is cut as a slow consumer")
	fs.IntVar(&c.workers, "workers", 10000, "goroutines running socket handlers (auth, webhooks) at most; 4 x GOMAXPROCS run while handlers do not block, more only while they do (siogate_workers_limit)")
	fs.StringVar(&origins, "allowed-origins", "", "origins allowed to open WebSocket and polling connections (empty: the gateway's own host only; * for any; else a list like https://app.example.com)")

	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 25*time.Second, "on SIGTERM/SIGINT, exit within this")
	fs.DurationVar(&c.drainSpread, "drain-spread", 5*time.Second, "on SIGTERM/SIGINT, close connections in jittered batches over this long (at most half of -shutdown-timeout)")

	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")

	fs.StringVar(&c.jwtSecret, "jwt-secret", "", "HS256 secret: clients must send a JWT signed with it in the handshake auth.token")
	fs.StringVar(&c.jwtPublicKey, "jwt-public-key", "", "RS256 public key (PEM text, or the path of a PEM file): clients must send a JWT signed with its private key in auth.token")
	fs.StringVar(&c.jwtUserClaim, "jwt-user-claim", "sub", "JWT claim holding the user id (the socket joins the room user:<id>)")
	fs.StringVar(&c.jwtIssuer, "jwt-issuer", "", "if set, the JWT iss claim must equal it")
	fs.StringVar(&c.jwtAudience, "jwt-audience", "", "if set, the JWT aud claim must contain it")
	fs.BoolVar(&c.allowAnonymous, "allow-anonymous", false, "with a JWT key set, also accept clients that send no token (they join no user room)")

	fs.StringVar(&apiKeys, "api-key", "", "bearer keys of the HTTP API under /api/v1/ (a list, for rotation); empty: the API is off")
	fs.IntVar(&apiMaxBody, "api-max-body", 1<<20, "largest HTTP API request body, bytes")
	fs.DurationVar(&c.apiMaxAckTimeout, "api-max-ack-timeout", 30*time.Second, "longest wait an API emit with acks may ask for")
	fs.DurationVar(&c.apiBodyTimeout, "api-body-timeout", 10*time.Second, "longest time an HTTP API request body may take to arrive (past it: 408)")

	fs.BoolVar(&c.reusePort, "reuseport", false, "listen with SO_REUSEPORT so several gateway processes share -addr (WebSocket needs nothing more; polling needs sticky sessions, see docs/scaling.md)")
	fs.StringVar(&c.redisURL, "redis-url", "", "Redis URL for the multi-node adapter (wire-compatible with @socket.io/redis-adapter), e.g. redis://127.0.0.1:6379; empty: in-memory adapter, one node")
	fs.StringVar(&c.webhookURL, "webhook-url", "", "backend URL that receives connect, disconnect and client events as JSON POSTs; empty: no webhooks")
	fs.StringVar(&hookEvents, "webhook-events", "*", "what is posted: connect, disconnect, event names, * for every client event (the default * posts connect, disconnect and every event)")
	fs.StringVar(&c.webhookSecret, "webhook-secret", "", "sent to the backend as Authorization: Bearer <secret>")
	fs.DurationVar(&c.webhookTimeout, "webhook-timeout", 5*time.Second, "bound of one webhook call, waiting for a free slot included")
	fs.IntVar(&c.webhookConcurrency, "webhook-concurrency", 64, "webhook requests in flight at most")
	fs.IntVar(&c.webhookQueue, "webhook-queue", 10000, "webhook calls waiting for a slot at most; disconnect notifications queued at most")
	fs.IntVar(&c.webhookRetries, "webhook-retries", 2, "retries of a failed disconnect notification (connect and events are never retried)")
	fs.BoolVar(&c.webhookFailOpen, "webhook-fail-open", false, "accept connections when the connect webhook cannot be reached (default: refuse them)")

	fs.BoolVar(&c.chat, "chat", true, "serve the chat app at / on the namespace "+chatNamespace+" (docs/chat.md); -chat=false for a pure gateway")
	fs.IntVar(&c.chatHistory, "chat-history", 50, "messages of each chat room replayed to a member who joins (0: none)")

	fs.BoolVar(&c.recovery, "recovery", true, "connection state recovery: a client that reconnects within -recovery-max-disconnection gets its socket id, rooms and missed broadcasts back (stored in memory, or in Redis with -redis-url); recorded packets carry their offset as one more last argument (docs/recovery.md)")
	fs.DurationVar(&c.recoveryMaxDisconnection, "recovery-max-disconnection", 2*time.Minute, "how long a disconnected socket can be recovered")

	checkLimits := c.limits.addFlags(fs)

	fs.VisitAll(func(f *flag.Flag) { f.Usage += " (env " + envName(f.Name) + ")" })
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}

	// The environment first, so that the command line overrides it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if !ok || envErr != nil {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("%s=%q: %w", envName(f.Name), v, err)
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q (every setting is a flag)", fs.Args())
	}

	c.namespaces = splitList(namespaces)
	for i, n := range c.namespaces {
		if !strings.HasPrefix(n, "/") {
			c.namespaces[i] = "/" + n
		}
	}
	if len(c.namespaces) == 0 {
		return c, errors.New("-namespaces: at least one namespace is needed")
	}
	c.allowedOrigins = splitList(origins)
	for _, o := range c.allowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return c, fmt.Errorf("-allowed-origins: %q is not an origin like https://app.example.com", o)
		}
	}
	c.apiKeys = splitList(apiKeys)
	c.apiMaxBody = int64(apiMaxBody)
	c.webhookEvents = splitList(hookEvents)
	if err := checkLimits(); err != nil {
		return c, err
	}

	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return c, fmt.Errorf("-log-level: %w", err)
	}
	switch {
	case c.logFormat != "text" && c.logFormat != "json":
		return c, fmt.Errorf("-log-format: %q is neither text nor json", c.logFormat)
	case c.pingInterval <= 0 || c.pingTimeout <= 0 || c.connectTimeout <= 0:
		return c, errors.New("-ping-interval, -ping-timeout and -connect-timeout must be positive")
	case c.maxPayload <= 0 || c.maxQueued <= 0 || c.workers <= 0:
		return c, errors.New("-max-payload, -max-queued and -workers must be positive")
	case c.shutdownTimeout <= 0:
		return c, errors.New("-shutdown-timeout must be positive")
	case c.drainSpread < 0:
		return c, errors.New("-drain-spread must not be negative")
	case c.jwtUserClaim == "":
		return c, errors.New("-jwt-user-claim must not be empty")
	case c.apiMaxBody <= 0 || c.apiMaxAckTimeout <= 0 || c.apiBodyTimeout <= 0:
		return c, errors.New("-api-max-body, -api-max-ack-timeout and -api-body-timeout must be positive")
	case c.webhookTimeout <= 0 || c.webhookConcurrency <= 0 || c.webhookQueue <= 0 || c.webhookRetries < 0:
		return c, errors.New("-webhook-timeout, -webhook-concurrency and -webhook-queue must be positive, -webhook-retries not negative")
	case c.recovery && c.recoveryMaxDisconnection <= 0:
		return c, errors.New("-recovery-max-disconnection must be positive")
	case c.chatHistory < 0:
		return c, errors.New("-chat-history must not be negative")
	}
	if c.drainSpread > c.shutdownTimeout/2 {
		c.drainSpread = c.shutdownTimeout / 2
	}
	if c.webhookURL != "" {
		u, err := url.Parse(c.webhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("-webhook-url: %q is not an http(s) URL", c.webhookURL)
		}
	}
	return c, nil
}

// authEnabled reports whether clients must present a JWT.
func (c config) authEnabled() bool { return c.jwtSecret != "" || c.jwtPublicKey != "" }

func envName(flagName string) string {
	return "SIOGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
