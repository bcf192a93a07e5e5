package redisadapter

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The publisher: one goroutine sends this node's messages in the order
// they were queued, as pipelines, so a broadcast never waits for Redis and
// the other nodes see this node's messages in order.

// outgoing is one message waiting to be published.
type outgoing struct {
	channel string
	payload []byte
	onErr   func(error) // optional: told when the message was not published
}

const (
	maxBatch     = 256             // messages per pipeline
	flushTimeout = 2 * time.Second // Close's bound on publishing what is queued
)

// errQueueFull: a publish found the queue full.
var errQueueFull = errors.New("redisadapter: publish queue full")

// publish queues a message without blocking. When Redis is down, the Bus
// is closed or the queue is full, it counts the message as failed, tells
// o.onErr and returns the reason; a message queued and then refused by
// Redis is counted and told to o.onErr later, on the publisher goroutine.
func (b *Bus) publish(o outgoing) error {
	var err error
	switch {
	case b.closed.Load():
		err = ErrClosed
	case b.down.Load():
		err = b.unavailable()
	default:
		select {
		case b.queue <- o:
			return nil
		default:
			err = errQueueFull
		}
	}
	b.failed(o, err)
	return err
}

func (b *Bus) unavailable() error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return unavailable(b.lastErr)
}

func (b *Bus) failed(o outgoing, err error) {
	b.stats.publishFailed.Add(1)
	if o.onErr != nil {
		o.onErr(err)
	}
}

// publisher sends queued messages in order, as pipelines of up to
// maxBatch.
func (b *Bus) publisher() {
	defer b.wg.Done()
	batch := make([]outgoing, 0, maxBatch)
	for {
		select {
		case o := <-b.queue:
			batch = b.fill(append(batch[:0], o))
			b.send(batch, b.opts.RequestTimeout)
			clear(batch)
		case <-b.stopPub:
			deadline := time.Now().Add(flushTimeout)
			for {
				batch = b.fill(batch[:0])
				if len(batch) == 0 {
					return
				}
				if left := time.Until(deadline); left > 0 {
					b.send(batch, left)
				} else {
					for _, o := range batch {
						b.failed(o, ErrClosed)
					}
				}
				clear(batch)
			}
		}
	}
}

func (b *Bus) fill(batch []outgoing) []outgoing {
	for len(batch) < maxBatch {
		select {
		case o := <-b.queue:
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

func (b *Bus) send(batch []outgoing, timeout time.Duration) {
	if b.down.Load() {
		for _, o := range batch {
			b.failed(o, ErrUnavailable)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if len(batch) == 1 {
		if err := b.client.Publish(ctx, batch[0].channel, batch[0].payload).Err(); err != nil {
			b.failed(batch[0], err)
			return
		}
		b.stats.published.Add(1)
		return
	}
	cmds, _ := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, o := range batch {
			p.Publish(ctx, o.channel, o.payload)
		}
		return nil
	})
	for i, o := range batch {
		if i < len(cmds) && cmds[i].Err() == nil {
			b.stats.published.Add(1)
			continue
		}
		err := errors.New("redisadapter: not published")
		if i < len(cmds) {
			err = cmds[i].Err()
		}
		b.failed(o, err)
	}
}

// numSub returns how many connections subscribe to channel: the number of
// nodes serving the namespace when channel is its request channel. On a
// cluster it sums the masters' counts, as Node's adapter does.
func (b *Bus) numSub(ctx context.Context, channel string) (int, error) {
	if cc, ok := b.client.(*redis.ClusterClient); ok {
		var total atomic.Int64
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			res, err := c.PubSubNumSub(ctx, channel).Result()
			total.Add(res[channel])
			return err
		})
		return int(total.Load()), err
	}
	res, err := b.client.PubSubNumSub(ctx, channel).Result()
	return int(res[channel]), err
}
