package chat

// entry is one message kept in a room's history. Guarded by Chat.mu; it
// owns its Message (File included) and its data.
type entry struct {
	seq  uint64 // Chat.seq when written: orders entries across rooms
	msg  Message
	data []byte // the attachment; nil when none or expired
}

// args are the arguments of the "message" event that replays e.
func (e *entry) args() []any { return eventArgs(e.msg, e.data) }

// rememberLocked appends a copy of msg (and data) to r's history, then
// restores both bounds: History messages per room, HistoryBytes of
// attachments over all rooms.
func (c *Chat) rememberLocked(r *room, msg Message, data []byte) {
	if c.o.History <= 0 {
		return
	}
	c.seq++
	r.active = c.seq
	r.history = append(r.history, &entry{seq: c.seq, msg: msg.clone(), data: data})
	c.attBytes += len(data)
	if len(r.history) > c.o.History {
		c.attBytes -= len(r.history[0].data)
		r.history[0] = nil
		r.history = append(r.history[:0], r.history[1:]...)
	}
	for c.attBytes > c.o.HistoryBytes {
		if !c.expireOldestLocked() {
			break
		}
	}
}

// expireOldestLocked drops the bytes of the oldest attachment in any
// room's history; its message stays, marked expired. It reports whether
// there was one.
func (c *Chat) expireOldestLocked() bool {
	var oldest *entry
	for _, r := range c.rooms {
		for _, e := range r.history { // oldest first: the first with data is the room's oldest
			if e.data != nil {
				if oldest == nil || e.seq < oldest.seq {
					oldest = e
				}
				break
			}
		}
	}
	if oldest == nil {
		return false
	}
	c.attBytes -= len(oldest.data)
	oldest.data = nil
	oldest.msg.File.Expired = true
	return true
}

// snapshotLocked copies r's history for a replay outside the lock, each
// message marked as history.
func (r *room) snapshotLocked() []entry {
	out := make([]entry, len(r.history))
	for i, e := range r.history {
		out[i] = entry{seq: e.seq, msg: e.msg.clone(), data: e.data}
		out[i].msg.History = true
	}
	return out
}
