package redisadapter

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestNewClientURLs(t *testing.T) {
	for _, c := range []struct {
		url     string
		cluster bool
		addr    string // of a single-server client
		err     bool
	}{
		{url: "redis://127.0.0.1:6379", addr: "127.0.0.1:6379"},
		{url: "rediss://user:pw@cache.example:6380/2?dial_timeout=3s", addr: "cache.example:6380"},
		{url: "redis://s1:26379?master_name=mymaster&addr=s2:26379"}, // Sentinel
		{url: "redis+sentinel://s1:26379?master_name=mymaster"},
		{url: "redis://n1:7000?addr=n2:7000&addr=n3:7000", cluster: true},
		{url: "redis+cluster://n1:7000", cluster: true},
		{url: "rediss+cluster://n1:7000", cluster: true},
		{url: "redis+nonsense://x", err: true},
		{url: "http://x", err: true},
		{url: "redis://x?no_such_option=1", err: true},
	} {
		cl, err := NewClient(c.url)
		if c.err {
			if err == nil {
				t.Errorf("%s: accepted", c.url)
				cl.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		_, isCluster := cl.(*redis.ClusterClient)
		if isCluster != c.cluster {
			t.Errorf("%s: %T", c.url, cl)
		}
		if rc, ok := cl.(*redis.Client); ok && c.addr != "" && rc.Options().Addr != c.addr {
			t.Errorf("%s: addr %s", c.url, rc.Options().Addr)
		}
		cl.Close()
	}
}

func TestOptionDefaults(t *testing.T) {
	var o Options
	o.setDefaults()
	if o.URL != "redis://127.0.0.1:6379" || o.Key != "socket.io" || o.RequestTimeout != 5*time.Second ||
		o.PublishQueue != 8192 || o.HealthCheckInterval != 5*time.Second || o.Logger == nil {
		t.Fatalf("defaults %+v", o)
	}
	if _, err := New(Options{URL: "redis+nonsense://x"}); err == nil {
		t.Fatal("New accepted a bad URL")
	}
}

// A full queue drops the message at once, counts it and says why.
func TestPublishQueueFull(t *testing.T) {
	b := &Bus{queue: make(chan outgoing, 1)}
	var told []error
	o := outgoing{channel: "c", payload: []byte("x"), onErr: func(err error) { told = append(told, err) }}
	if err := b.publish(o); err != nil {
		t.Fatal(err)
	}
	if err := b.publish(o); err != errQueueFull || len(told) != 1 || told[0] != errQueueFull {
		t.Fatalf("second publish: %v, told %v", err, told)
	}
	b.closed.Store(true)
	if err := b.publish(o); err != ErrClosed {
		t.Fatalf("after close: %v", err)
	}
	if got := b.stats.publishFailed.Load(); got != 2 {
		t.Fatalf("publishFailed = %d", got)
	}
}
