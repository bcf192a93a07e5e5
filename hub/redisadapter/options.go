package redisadapter

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configures a Bus. The zero value works: a Redis at
// 127.0.0.1:6379, the "socket.io" prefix, Node's timeouts, silent logs.
type Options struct {
	// Client is the Redis connection to use: *redis.Client,
	// *redis.ClusterClient, a Sentinel failover client... The caller keeps
	// it: Bus.Close does not close it.
	Client redis.UniversalClient
	// URL is used when Client is nil (default "redis://127.0.0.1:6379"):
	//
	//	redis://[user:password@]host:port[/db][?dial_timeout=3s&...]   one server (rediss:// for TLS)
	//	redis://host:port?master_name=mymaster[&addr=host2:port...]     Sentinel (host:port are sentinels)
	//	redis://host:port?addr=host2:port[&addr=...]                    Cluster
	//
	// The schemes redis+sentinel:// and redis+cluster:// (and rediss+...)
	// force the kind. Query options are go-redis's (ParseURL,
	// ParseFailoverURL, ParseClusterURL). The Bus owns a client it creates.
	URL string
	// Key is the channel prefix, the same on every node of the cluster
	// (default "socket.io", Node's default).
	Key string
	// RequestTimeout bounds a request to the other nodes (FetchSockets,
	// ServerSideEmitWithAck...) when its context has no earlier deadline
	// (default 5 s, Node's requestsTimeout).
	RequestTimeout time.Duration
	// PublishOnSpecificResponseChannel answers other nodes' requests on
	// the requester's own channel (<key>-response#<nsp>#<uid>#) instead of
	// the shared one, like the Node option of that name. Answers always
	// arrive either way: every node listens on both.
	PublishOnSpecificResponseChannel bool
	// PublishQueue bounds the messages waiting to be published (default
	// 8192). Past it publishes are dropped and counted as failed: a
	// broadcast never waits for Redis.
	PublishQueue int
	// HealthCheckInterval: after this much silence the subscription
	// connection is pinged, and it is replaced when the ping goes
	// unanswered for as long again (default 5 s).
	HealthCheckInterval time.Duration
	// Logger receives connection changes and undecodable messages; nil:
	// silent.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.URL == "" {
		o.URL = "redis://127.0.0.1:6379"
	}
	if o.Key == "" {
		o.Key = "socket.io"
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 5 * time.Second
	}
	if o.PublishQueue <= 0 {
		o.PublishQueue = 8192
	}
	if o.HealthCheckInterval <= 0 {
		o.HealthCheckInterval = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// NewClient builds a go-redis client from a URL in the forms Options.URL
// accepts.
func NewClient(rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisadapter: bad URL: %w", err)
	}
	kind := ""
	if base, k, ok := strings.Cut(u.Scheme, "+"); ok {
		u.Scheme, kind = base, k
	}
	q := u.Query()
	if kind == "" {
		switch {
		case q.Has("master_name"):
			kind = "sentinel"
		case q.Has("addr"):
			kind = "cluster"
		}
	}
	s := u.String()
	switch kind {
	case "":
		o, err := redis.ParseURL(s)
		if err != nil {
			return nil, fmt.Errorf("redisadapter: %w", err)
		}
		return redis.NewClient(o), nil
	case "sentinel":
		o, err := redis.ParseFailoverURL(s)
		if err != nil {
			return nil, fmt.Errorf("redisadapter: %w", err)
		}
		return redis.NewFailoverClient(o), nil
	case "cluster":
		o, err := redis.ParseClusterURL(s)
		if err != nil {
			return nil, fmt.Errorf("redisadapter: %w", err)
		}
		return redis.NewClusterClient(o), nil
	}
	return nil, fmt.Errorf("redisadapter: unknown URL scheme %q", u.Scheme+"+"+kind)
}
