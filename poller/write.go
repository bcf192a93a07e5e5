package poller

import (
	"syscall"
	"unsafe"
)

// maxIovecs bounds one writev call.
const maxIovecs = 64

// Send queues one encoded frame (or any bytes) for c. frame is shared, not
// copied: the caller must never modify it afterwards, which is what lets one
// broadcast frame be queued on ten thousand sockets. Send never blocks.
//
// It returns ErrClosed once the connection is closing, and ErrSlowConsumer
// when the frame would push a non-empty queue past MaxQueuedBytes; the
// connection is then closed with 1008. An empty queue accepts a frame of any
// size, so one large message never counts as a slow consumer.
func (c *Conn) Send(frame []byte) error { return c.enqueue(false, frame, nil) }

// SendVolatile is Send for frames that may be lost: while the socket is
// backlogged, or when the queue is full, the frame is dropped (ErrDropped)
// and the connection stays open.
func (c *Conn) SendVolatile(frame []byte) error { return c.enqueue(true, frame, nil) }

// SendGroup queues several frames atomically (all or none), e.g. a Socket.IO
// binary event and its attachments.
func (c *Conn) SendGroup(volatile bool, frames [][]byte) error {
	return c.enqueue(volatile, nil, frames)
}

// QueuedBytes reports the bytes queued and not yet taken by the kernel.
func (c *Conn) QueuedBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queued
}

// Close sends a close frame with code and reason, then closes the TCP
// connection once it is flushed (or after Options.CloseTimeout). The
// Handler's OnClose receives ErrLocalClose.
func (c *Conn) Close(code uint16, reason string) {
	c.closeWith(ErrLocalClose, appendCloseFrame(code, reason))
}

// Abort closes the TCP connection at once, without a close frame.
func (c *Conn) Abort(reason error) {
	c.mu.Lock()
	if c.reason == nil {
		c.reason = reason
	}
	c.closing = true
	c.mu.Unlock()
	_ = c.nc.Close()
}

// Reply queues a short frame and writes it at once on the caller's
// goroutine (a pong, or an answer that must reach the peer before anything
// the caller does next), where Send leaves the write to a flush goroutine.
func (c *Conn) Reply(frame []byte) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	c.out = append(c.out, frame)
	c.queued += len(frame)
	c.flushLocked()
	closeNow := c.takeCloseLocked()
	c.mu.Unlock()
	if closeNow {
		_ = c.nc.Close()
	}
	return nil
}

func (c *Conn) enqueue(volatile bool, one []byte, group [][]byte) error {
	n := len(one)
	for _, f := range group {
		n += len(f)
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	if volatile && c.backlogged {
		c.mu.Unlock()
		c.srv.stats.droppedVolatile.Add(1)
		return ErrDropped
	}
	if c.queued > 0 && c.queued+n > c.srv.opts.MaxQueuedBytes {
		if volatile {
			c.mu.Unlock()
			c.srv.stats.droppedVolatile.Add(1)
			return ErrDropped
		}
		c.srv.stats.slowConsumers.Add(1)
		c.beginCloseLocked(ErrSlowConsumer, closePolicySlow, true)
		closeNow := c.takeCloseLocked()
		c.mu.Unlock()
		c.afterClose(closeNow)
		return ErrSlowConsumer
	}
	if one != nil {
		c.out = append(c.out, one)
	}
	c.out = append(c.out, group...)
	c.queued += n
	switch {
	case c.backlogged:
		// the retry loop writes it
	case c.srv.opts.InlineWrites:
		c.flushLocked()
	case !c.pending:
		c.pending = true
		c.srv.flush.add(c)
	}
	closeNow := c.takeCloseLocked()
	c.mu.Unlock()
	if closeNow {
		_ = c.nc.Close()
	}
	return nil
}

// closeWith queues frame (a close frame or an HTTP error response) as the
// last thing c sends and closes TCP once it is written. The first reason
// wins.
func (c *Conn) closeWith(reason error, frame []byte) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.beginCloseLocked(reason, frame, false)
	closeNow := c.takeCloseLocked()
	c.mu.Unlock()
	c.afterClose(closeNow)
}

// beginCloseLocked marks c closing, optionally drops what is queued (a slow
// consumer will never read it), queues the final frame and tries to write.
func (c *Conn) beginCloseLocked(reason error, final []byte, drop bool) {
	c.closing = true
	if c.reason == nil {
		c.reason = reason
	}
	if drop && len(c.out) > 0 {
		keep := 0
		if c.off > 0 {
			keep = 1 // a half-written frame must be finished or the stream is garbage
		}
		clear(c.out[keep:])
		c.out = c.out[:keep]
		c.queued = 0
		if keep == 1 {
			c.queued = len(c.out[0]) - c.off
		}
	}
	if final != nil {
		c.out = append(c.out, final)
		c.queued += len(final)
	}
	c.closeTCP = true
	if !c.backlogged {
		c.flushLocked()
	}
}

// afterClose runs outside the lock: close now, or give the flush a deadline.
func (c *Conn) afterClose(closeNow bool) {
	if closeNow {
		_ = c.nc.Close()
		return
	}
	c.srv.wheel.Reset(&c.timer, c.srv.opts.CloseTimeout)
}

// takeCloseLocked reports whether TCP should be closed now: a close was
// requested and everything queued has been written.
func (c *Conn) takeCloseLocked() bool {
	if c.closeTCP && c.queued == 0 && !c.closed {
		c.closeTCP = false
		return true
	}
	return false
}

// flushLocked writes as much of the queue as the kernel takes, with
// non-blocking writev. On EAGAIN the socket joins the server's retry set.
func (c *Conn) flushLocked() {
	if c.closed {
		return
	}
	var iov [maxIovecs]syscall.Iovec
	for len(c.out) > 0 {
		cnt := 0
		for i := 0; i < len(c.out) && cnt < maxIovecs; i++ {
			b := c.out[i]
			if i == 0 {
				b = b[c.off:]
			}
			if len(b) == 0 {
				continue
			}
			iov[cnt].Base = &b[0]
			iov[cnt].SetLen(len(b))
			cnt++
		}
		if cnt == 0 {
			clear(c.out)
			c.out, c.off, c.queued = c.out[:0], 0, 0
			break
		}
		r, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(c.fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
		if errno == syscall.EINTR {
			continue
		}
		if errno == syscall.EAGAIN {
			if !c.backlogged {
				c.backlogged = true
				c.srv.backlog.add(c)
			}
			return
		}
		if errno != 0 {
			if c.reason == nil {
				c.reason = &WriteError{Err: errno}
			}
			clear(c.out)
			c.out, c.off, c.queued = nil, 0, 0
			c.closing, c.closeTCP = true, true
			return
		}
		c.srv.stats.bytesOut.Add(uint64(r))
		c.advanceLocked(int(r))
	}
	if c.backlogged {
		c.backlogged = false
		c.srv.backlog.remove(c)
	}
	if cap(c.out) > 16 {
		c.out = nil // an idle socket keeps no queue array
	}
}

// advanceLocked drops n written bytes from the head of the queue.
func (c *Conn) advanceLocked(n int) {
	c.queued -= n
	for n > 0 && len(c.out) > 0 {
		rest := len(c.out[0]) - c.off
		if n < rest {
			c.off += n
			return
		}
		n -= rest
		c.out[0] = nil
		c.out = c.out[1:]
		c.off = 0
	}
	// Skip empty frames left at the head.
	for len(c.out) > 0 && len(c.out[0]) == 0 {
		c.out = c.out[1:]
	}
	if len(c.out) == 0 {
		c.out = c.out[:0:0]
	}
}

// retry is called by the backlog loop for a socket whose kernel buffer was
// full.
func (c *Conn) retry() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.flushLocked() // removes c from the retry set once drained
	closeNow := c.takeCloseLocked()
	c.mu.Unlock()
	if closeNow {
		_ = c.nc.Close()
	}
}
