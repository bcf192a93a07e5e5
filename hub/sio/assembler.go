package sio

// Assembler puts binary packets back together. A BINARY_EVENT or BINARY_ACK
// arrives as a text message holding the packet, followed by one binary
// Engine.IO message per attachment; every other packet is one text message.
// Feed each Engine.IO message of a connection to AddText or AddBinary, in
// arrival order.
//
// The Assembler keeps the slices it is given until the packet is complete,
// and then hands them back: the caller must pass slices it owns (copies of
// a reused read buffer) and must not modify them afterwards. The returned
// Packet aliases the text message (see Packet).
//
// The zero value is ready to use. An Assembler belongs to one connection and
// is not safe for concurrent use. After an error the pending packet, if any,
// is dropped; the reference server closes the connection on every error.
type Assembler struct {
	// pending is the binary packet whose attachments are awaited, nil
	// between packets: an idle connection pays one pointer.
	pending *partial
}

// partial is a binary packet and the attachments received so far.
type partial struct {
	p    Packet
	atts [][]byte
}

// AddText feeds a text message: one Socket.IO packet, decoded with Decode
// and maxAttachments. A packet without attachments is complete at once
// (done is true, atts nil); a binary packet with attachments is kept until
// they have all arrived through AddBinary. A text message while attachments
// are still awaited is ErrAttachmentsPending.
func (a *Assembler) AddText(b []byte, maxAttachments int) (p Packet, atts [][]byte, done bool, err error) {
	if a.pending != nil {
		a.Reset()
		return Packet{}, nil, false, ErrAttachmentsPending
	}
	p, err = Decode(b, maxAttachments)
	if err != nil {
		return Packet{}, nil, false, err
	}
	if p.Attachments == 0 {
		return p, nil, true, nil
	}
	// The count comes from the peer: without a maxAttachments it may be
	// huge, so let the slice grow with what actually arrives.
	a.pending = &partial{p: p, atts: make([][]byte, 0, min(p.Attachments, 16))}
	return Packet{}, nil, false, nil
}

// AddBinary feeds a binary message: the next attachment of the pending
// packet. When it is the last one AddBinary returns the packet and its
// attachments in order (done is true) and forgets them. A binary message
// with no packet waiting is ErrUnexpectedBinary.
func (a *Assembler) AddBinary(b []byte) (p Packet, atts [][]byte, done bool, err error) {
	pp := a.pending
	if pp == nil {
		return Packet{}, nil, false, ErrUnexpectedBinary
	}
	pp.atts = append(pp.atts, b)
	if len(pp.atts) < pp.p.Attachments {
		return Packet{}, nil, false, nil
	}
	a.Reset()
	return pp.p, pp.atts, true, nil
}

// Pending reports how many attachments the pending packet still awaits, 0
// when no packet is pending.
func (a *Assembler) Pending() int {
	if a.pending == nil {
		return 0
	}
	return a.pending.p.Attachments - len(a.pending.atts)
}

// Reset drops the pending packet and its attachments, if any.
func (a *Assembler) Reset() {
	a.pending = nil
}
