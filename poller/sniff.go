package poller

import (
	"bytes"
)

// The sniffer looks at the first bytes of a connection and decides what it
// is, without blocking and without parsing more than it must:
//
//	sniffMore     the head is not complete yet (keep the bytes, wait)
//	sniffBad      not HTTP/1.x at all (400 and close)
//	sniffTooLarge the head passed MaxHeaderBytes (431 and close)
//	sniffUpgrade  a complete head asking for "Upgrade: websocket"
//	sniffHTTP     a complete head of any other request (hand off to net/http)
type sniffResult uint8

const (
	sniffMore sniffResult = iota
	sniffBad
	sniffTooLarge
	sniffUpgrade
	sniffHTTP
)

const maxMethodLen = 16

// sniff classifies buf, the bytes received so far. scanned is how many bytes
// an earlier call already searched for the end of the head; headLen is the
// length of the head including its blank line when complete.
func sniff(buf []byte, scanned, maxHead int) (res sniffResult, headLen, newScanned int) {
	if !validMethodPrefix(buf) {
		return sniffBad, 0, 0
	}
	start := scanned - 3
	if start < 0 {
		start = 0
	}
	end := headEnd(buf, start)
	if end < 0 {
		if len(buf) > maxHead {
			return sniffTooLarge, 0, len(buf)
		}
		return sniffMore, 0, len(buf)
	}
	if end > maxHead {
		return sniffTooLarge, 0, len(buf)
	}
	head := buf[:end]
	if !validRequestLine(head) {
		return sniffBad, 0, 0
	}
	if wantsWebSocket(head) {
		return sniffUpgrade, end, len(buf)
	}
	return sniffHTTP, end, len(buf)
}

// validMethodPrefix reports whether buf can be the start of an HTTP request:
// a method token of upper-case letters (or '-') followed by a space. A prefix
// too short to tell is valid.
func validMethodPrefix(buf []byte) bool {
	for i, c := range buf {
		switch {
		case c == ' ':
			return i > 0
		case c >= 'A' && c <= 'Z', c == '-':
			if i >= maxMethodLen {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validRequestLine checks "METHOD SP target SP HTTP/1.x".
func validRequestLine(head []byte) bool {
	eol := bytes.IndexByte(head, '\n')
	if eol < 0 {
		return false
	}
	line := bytes.TrimSuffix(head[:eol], []byte("\r"))
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return false
	}
	rest := line[sp1+1:]
	sp2 := bytes.LastIndexByte(rest, ' ')
	if sp2 <= 0 {
		return false
	}
	proto := rest[sp2+1:]
	return bytes.Equal(proto, []byte("HTTP/1.1")) || bytes.Equal(proto, []byte("HTTP/1.0"))
}

// headEnd returns the length of the head (through the blank line) or -1.
// Both CRLF and bare LF line endings are accepted, as net/http does.
func headEnd(buf []byte, from int) int {
	for i := from; i < len(buf); i++ {
		if buf[i] != '\n' {
			continue
		}
		if i+1 < len(buf) && buf[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(buf) && buf[i+1] == '\r' && buf[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

// wantsWebSocket reports whether the head carries an Upgrade header whose
// value lists "websocket" (case-insensitive).
func wantsWebSocket(head []byte) bool {
	for len(head) > 0 {
		eol := bytes.IndexByte(head, '\n')
		if eol < 0 {
			return false
		}
		line := head[:eol]
		head = head[eol+1:]
		colon := bytes.IndexByte(line, ':')
		if colon != len("upgrade") || !bytes.EqualFold(line[:colon], []byte("upgrade")) {
			continue
		}
		if hasToken(line[colon+1:], "websocket") {
			return true
		}
	}
	return false
}

// hasToken reports whether the comma-separated header value v lists tok
// (case-insensitive).
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		t := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			t, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if bytes.EqualFold(bytes.TrimSpace(t), []byte(tok)) {
			return true
		}
	}
	return false
}
