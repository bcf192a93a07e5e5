package poller

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

var (
	errBadRequestLine   = errors.New("poller: malformed request line")
	errBadHeader        = errors.New("poller: malformed header line")
	errBadContentLength = errors.New("poller: bad Content-Length")
	errBadHost          = errors.New("poller: missing or repeated Host header")
)

// headInfo is what parseHead learns beyond the Request itself.
type headInfo struct {
	keepAlive bool // HTTP/1.1 without "Connection: close"
	// handOff: the request needs what only net/http does (a chunked or
	// otherwise encoded body, "Expect: 100-continue").
	handOff bool
}

// parseHead parses a complete request head (validated by sniff) into req:
// method, target, Host, headers (canonical keys) and Content-Length. It
// refuses what net/http's server refuses with a 400 (sniff has checked the
// method already): a target with a space, a control byte or a bad escape, a header
// line that is not "token: value" with a value free of control bytes, a
// Content-Length that is not digits (or two that differ), and a request
// without exactly one Host header (HTTP/1.1) or with several (HTTP/1.0).
// FuzzParseHead holds it to that against net/http.
func parseHead(head []byte, req *Request) (headInfo, error) {
	var info headInfo
	eol := bytes.IndexByte(head, '\n')
	line := bytes.TrimSuffix(head[:eol], []byte("\r"))
	head = head[eol+1:]
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	target := line[sp1+1 : sp2]
	if !validTarget(target) {
		return info, errBadRequestLine
	}
	req.Method = string(line[:sp1])
	req.setURI(string(target))
	http11 := bytes.Equal(line[sp2+1:], []byte("HTTP/1.1"))
	info.keepAlive = http11
	req.Header = make(http.Header, 8)
	seenLength, hosts := false, 0
	for len(head) > 0 {
		eol = bytes.IndexByte(head, '\n')
		line = bytes.TrimSuffix(head[:eol], []byte("\r"))
		head = head[eol+1:]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validToken(line[:colon]) {
			return info, errBadHeader
		}
		key := http.CanonicalHeaderKey(string(line[:colon]))
		raw := bytes.Trim(line[colon+1:], " \t")
		if !validValue(raw) {
			return info, errBadHeader
		}
		value := string(raw)
		switch key {
		case "Host":
			req.Host = value
			hosts++
		case "Content-Length":
			// Digits only: ParseUint refuses a sign; 63 bits fit int64.
			n, err := strconv.ParseUint(value, 10, 63)
			if err != nil || (seenLength && int64(n) != req.ContentLength) {
				return info, errBadContentLength
			}
			req.ContentLength, seenLength = int64(n), true
		case "Transfer-Encoding", "Expect":
			info.handOff = true
		case "Connection":
			if hasToken(raw, "close") {
				info.keepAlive = false
			}
		}
		req.Header[key] = append(req.Header[key], value)
	}
	if hosts > 1 || hosts == 0 && http11 {
		return info, errBadHost
	}
	return info, nil
}

// validTarget reports whether a request target is one net/http reads: no
// space or control byte, and (checked by net/url when the target is not a
// plain path) well-formed escapes and authority.
func validTarget(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	plain := b[0] == '/'
	for _, c := range b {
		switch {
		case c <= ' ' || c == 0x7f:
			return false
		case c == '%':
			plain = false
		}
	}
	if plain {
		return true
	}
	_, err := url.ParseRequestURI(string(b))
	return err == nil
}

// validValue reports whether a header value has no control byte but
// horizontal tab (obs-text, 0x80 and up, is allowed, as in net/http).
func validValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validToken reports whether b is a non-empty RFC 9110 token.
func validToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
