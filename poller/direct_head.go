package poller

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

var (
	errBadHeader        = errors.New("poller: malformed header line")
	errBadContentLength = errors.New("poller: bad Content-Length")
)

// headInfo is what parseHead learns beyond the Request itself.
type headInfo struct {
	keepAlive bool // HTTP/1.1 without "Connection: close"
	// handOff: the request needs what only net/http does (a chunked or
	// otherwise encoded body, "Expect: 100-continue").
	handOff bool
}

// parseHead parses a complete request head (validated by sniff) into req:
// method, target, Host, headers (canonical keys) and Content-Length.
func parseHead(head []byte, req *Request) (headInfo, error) {
	var info headInfo
	eol := bytes.IndexByte(head, '\n')
	line := bytes.TrimSuffix(head[:eol], []byte("\r"))
	head = head[eol+1:]
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	req.Method = string(line[:sp1])
	req.setURI(string(line[sp1+1 : sp2]))
	info.keepAlive = bytes.Equal(line[sp2+1:], []byte("HTTP/1.1"))
	req.Header = make(http.Header, 8)
	seenLength := false
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
		raw := bytes.TrimSpace(line[colon+1:])
		value := string(raw)
		switch key {
		case "Host":
			req.Host = value
		case "Content-Length":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 || (seenLength && n != req.ContentLength) {
				return info, errBadContentLength
			}
			req.ContentLength, seenLength = n, true
		case "Transfer-Encoding", "Expect":
			info.handOff = true
		case "Connection":
			if hasToken(raw, "close") {
				info.keepAlive = false
			}
		}
		req.Header[key] = append(req.Header[key], value)
	}
	return info, nil
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
