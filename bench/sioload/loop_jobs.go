package sioload

import (
	"math/rand/v2"
	"time"
)

// paceJob is the paced run in progress (Loader.Pace).
type paceJob struct {
	run     PaceRun
	startNs int64
	total   int64
	sent    int64
	rr      int
	done    chan struct{} // closed when every message is sent
}

// pumpPace sends the messages due by now, round-robin over the ready
// sockets that read. Each carries its scheduled send time, so a loader
// that falls behind counts the delay in the latency instead of hiding it.
func (lp *loop) pumpPace(now int64) {
	e := lp.pace
	r := &e.run
	due := min(int64(float64(now-e.startNs)*r.Rate/1e9)+1, e.total)
	for e.sent < due {
		c := lp.nextSender(&e.rr)
		if c == nil {
			break
		}
		ts := e.startNs + int64(float64(e.sent)*1e9/r.Rate)
		switch {
		case r.Kind == PaceEcho && lp.o.Mode == WebSocket:
			lp.payload = appendStamp(lp.payload[:0], kindEcho, uint64(e.sent), ts, r.Size)
			lp.st.EchoSent++
		case r.Kind == PaceEcho:
			c.ackSeq++
			lp.payload = appendEvent(lp.payload[:0], lp.o.Namespace, "echo", int64(c.ackSeq), kindEcho, uint64(e.sent), ts, r.Size)
			lp.st.EchoSent++
		case r.Kind == PaceBroadcast:
			id := lp.nextID
			lp.nextID++
			if lp.o.Mode == WebSocket {
				lp.payload = appendStamp(lp.payload[:0], kindBroadcast, id, ts, r.Size)
			} else {
				lp.payload = appendEvent(lp.payload[:0], lp.o.Namespace, "broadcast", -1, kindBroadcast, id, ts, r.Size)
			}
			lp.st.Emitted++
		default: // PaceRoom
			room := rand.IntN(r.Rooms)
			lp.payload = appendRoomEvent(lp.payload[:0], lp.o.Namespace, room, uint64(e.sent), ts, r.Size)
			lp.st.Emitted++
			lp.st.RoomExpected += int64(r.roomMembers(room))
		}
		lp.sendText(c, opText, lp.payload)
		e.sent++
	}
	if e.sent >= e.total || lp.receivers() == 0 {
		lp.st.EchoEndNs = now
		close(e.done)
		lp.pace = nil
	}
}

// nextSender returns the next ready socket that reads, round-robin, or nil.
func (lp *loop) nextSender(rr *int) *conn {
	for range len(lp.ready) {
		c := lp.ready[*rr%len(lp.ready)]
		*rr++
		if !c.stalled {
			return c
		}
	}
	return nil
}

// joinJob is the Join in progress.
type joinJob struct {
	pending int
	failed  int
	done    chan int // buffered 1; receives the failures once
}

// startJoin makes every ready socket emit "join" for its room.
func (lp *loop) startJoin(base, roomSize int, done chan int) {
	j := &joinJob{done: done}
	lp.join = j
	for _, c := range lp.ready {
		if c.stalled {
			continue
		}
		c.ackSeq++
		c.joinAck = c.ackSeq
		j.pending++
		lp.payload = appendJoin(lp.payload[:0], lp.o.Namespace, c.joinAck, (base+int(c.idx))/roomSize)
		lp.sendText(c, opText, lp.payload)
	}
	if j.pending == 0 {
		lp.finishJoin()
	}
}

// joined counts the answer to c's "join" (or c's loss while it waited).
func (lp *loop) joined(c *conn) {
	ok := c.state != stClosed
	c.joinAck = 0
	j := lp.join
	if j == nil {
		return
	}
	j.pending--
	if !ok {
		j.failed++
	}
	if j.pending == 0 {
		lp.finishJoin()
	}
}

// finishJoin hands the join's failures over: sockets lost while joining,
// plus those still waiting.
func (lp *loop) finishJoin() {
	j := lp.join
	lp.join = nil
	for _, c := range lp.ready {
		c.joinAck = 0
	}
	j.done <- j.failed + j.pending
}

// stall stops reading every k-th ready socket so that share of them is
// stalled; it returns how many it stalled.
func (lp *loop) stall(share float64) int {
	n := int(share*float64(len(lp.ready)) + 0.5)
	if n <= 0 {
		return 0
	}
	step := float64(len(lp.ready)) / float64(n)
	count := 0
	for i := range n {
		c := lp.ready[int(float64(i)*step)]
		if c.stalled {
			continue
		}
		c.stalled = true
		lp.stalled++
		if !c.slow {
			c.slow = true
			lp.slow++
		}
		count++
	}
	return count
}

// resume reads the stalled sockets again, at once: whatever the kernel
// holds for them is consumed (and a close or an end of file seen).
func (lp *loop) resume() int {
	var list []*conn
	for _, c := range lp.ready {
		if c.stalled {
			list = append(list, c)
		}
	}
	for _, c := range list {
		c.stalled = false
		lp.stalled--
		lp.read(c)
	}
	return len(list)
}

// churnJob is the Churn in progress.
type churnJob struct {
	run      ChurnRun
	left     int // cycles not started yet
	inflight int
	next     int32
	start    time.Time
	res      ChurnResult
	done     chan ChurnResult // buffered 1
}

// pumpChurn starts cycles up to the concurrency and ends the job when
// every cycle is over.
func (lp *loop) pumpChurn(now int64) {
	j := lp.churn
	for j.left > 0 && j.inflight < j.run.Concurrency {
		j.left--
		j.inflight++
		idx := j.next
		j.next++
		c, err := lp.newConn(idx, 1, now, now)
		if err != nil {
			j.inflight--
			j.res.fail(err)
			continue
		}
		c.churn = true
		lp.register(c)
	}
	if j.left == 0 && j.inflight == 0 {
		lp.finishChurn()
	}
}

// cycleConnected emits the cycle's "echo" with an acknowledgement; the
// socket stays among the handshakes, so the attempt timeout bounds the
// whole cycle.
func (lp *loop) cycleConnected(c *conn) {
	c.state = stCycle
	c.ackSeq++
	size := 64
	if lp.churn != nil {
		size = lp.churn.run.Size
	}
	lp.payload = appendEvent(lp.payload[:0], lp.o.Namespace, "echo", int64(c.ackSeq), kindEcho, uint64(c.idx), time.Now().UnixNano(), size)
	lp.sendText(c, opText, lp.payload)
}

// endCycle disconnects c the way socket.io-client does (Socket.IO
// DISCONNECT, then a WebSocket close) and counts the cycle.
func (lp *loop) endCycle(c *conn) {
	lp.payload = appendSIOPrefix(lp.payload[:0], sioDisconnect, lp.o.Namespace)
	lp.frame = appendMasked(lp.frame[:0], opText, lp.payload, randKey())
	lp.frame = appendMasked(lp.frame, opClose, []byte{0x03, 0xe8}, randKey()) // 1000
	lp.write(c, lp.frame)
	if c.state == stClosed {
		return // the write failed: drop counted the cycle as failed
	}
	lp.removeHS(c)
	lp.release(c)
	if j := lp.churn; j != nil {
		j.inflight--
		j.res.Cycles++
		j.res.Cycle.Record((time.Now().UnixNano() - c.born) / 1000)
	}
}

// cycleFailed counts a churn cycle that failed with err.
func (lp *loop) cycleFailed(_ *conn, err error) {
	if j := lp.churn; j != nil {
		j.inflight--
		j.res.fail(err)
	}
}

// finishChurn ends the churn in progress and hands its result over.
func (lp *loop) finishChurn() {
	j := lp.churn
	lp.churn = nil
	for i := 0; i < len(lp.hs); {
		if c := lp.hs[i]; c.churn {
			lp.removeHS(c)
			lp.release(c)
			j.res.fail(errAborted)
			continue
		}
		i++
	}
	j.res.Failed += j.left
	if j.left > 0 {
		if j.res.Errors == nil {
			j.res.Errors = map[string]int{}
		}
		j.res.Errors["deadline"] += j.left
	}
	j.res.Elapsed = time.Since(j.start)
	j.done <- j.res
}
