package poller

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

// FuzzParseHead runs parseHead on every head sniff accepts. It must never
// panic; for a plain HTTP head it either fails or yields a Request with a
// method (the request line's first word), a non-empty target and a
// Content-Length >= 0 that agrees with the header. A head parseHead
// accepts and answers itself (not handed to net/http) must be one net/http
// accepts too, and both must agree on the method, the target and the body
// length; parseHead must never keep alive a connection net/http would
// close: a disagreement there is a request smuggling risk.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		getHead,
		wsHead,
		"GET / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\nHost: h\n\n",
		"POST /up?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
		"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		"POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
		"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
		"GET / HTTP/1.1\r\n: empty\r\n\r\n",
		"GET / HTTP/1.1\r\nX-A: b\r\n folded\r\n\r\n",
		"GET /a b HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\rContent-Length: 4\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\n\n",
		"GET /%zz HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, headLen, _ := sniff(data, 0, testMaxHead)
		if res != sniffHTTP && res != sniffUpgrade {
			return
		}
		head := data[:headLen]
		var req Request
		info, err := parseHead(head, &req)
		if res != sniffHTTP || err != nil {
			return
		}
		line, _, _ := bytes.Cut(head, []byte("\n"))
		method, _, _ := bytes.Cut(line, []byte(" "))
		if req.Method == "" || req.Method != string(method) {
			t.Fatalf("Method %q from request line %q", req.Method, line)
		}
		if req.URI == "" {
			t.Fatalf("empty target from request line %q", line)
		}
		if req.ContentLength < 0 {
			t.Fatalf("ContentLength %d", req.ContentLength)
		}
		if cl := req.Header["Content-Length"]; len(cl) == 0 && req.ContentLength != 0 {
			t.Fatalf("ContentLength %d without the header", req.ContentLength)
		}
		if info.keepAlive && !bytes.HasSuffix(bytes.TrimSuffix(line, []byte("\r")), []byte("HTTP/1.1")) {
			t.Fatalf("keep-alive for %q", line)
		}
		for k := range req.Header {
			if k != http.CanonicalHeaderKey(k) || !validToken([]byte(k)) {
				t.Fatalf("header key %q", k)
			}
		}

		// Differential check against net/http: what parseHead answers
		// itself, net/http must accept too, and read the same way.
		hr, herr := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if info.handOff {
			return
		}
		if herr != nil {
			t.Fatalf("parseHead accepts a head net/http refuses (%v): %q", herr, head)
		}
		if hr.Method != req.Method || hr.RequestURI != req.URI {
			t.Fatalf("net/http reads %q %q, parseHead %q %q", hr.Method, hr.RequestURI, req.Method, req.URI)
		}
		if hr.ContentLength != req.ContentLength {
			t.Fatalf("net/http reads Content-Length %d, parseHead %d (head %q)", hr.ContentLength, req.ContentLength, head)
		}
		if info.keepAlive && hr.Close {
			t.Fatalf("parseHead keeps alive a connection net/http closes (head %q)", head)
		}
		if len(req.Header["Host"]) == 1 && hr.URL.Host == "" && hr.Host != req.Host {
			t.Fatalf("net/http reads Host %q, parseHead %q (head %q)", hr.Host, req.Host, head)
		}
	})
}
