package poller

import (
	"fmt"
	"strings"
	"testing"
)

const testMaxHead = 16 << 10 // Options.MaxHeaderBytes default

func resultName(r sniffResult) string {
	switch r {
	case sniffMore:
		return "More"
	case sniffBad:
		return "Bad"
	case sniffTooLarge:
		return "TooLarge"
	case sniffUpgrade:
		return "Upgrade"
	case sniffHTTP:
		return "HTTP"
	}
	return fmt.Sprintf("sniffResult(%d)", r)
}

// feed runs sniff the way Server.sniffStep does: the buffer grows by each
// chunk, scanned is carried from one call to the next, and the first result
// other than sniffMore ends it.
func feed(buf []byte, cuts []int, maxHead int) (res sniffResult, headLen, calls int) {
	scanned, prev := 0, 0
	for i := 0; i <= len(cuts); i++ {
		cut := len(buf)
		if i < len(cuts) {
			cut = cuts[i]
		}
		if cut < prev || cut > len(buf) {
			continue
		}
		prev = cut
		calls++
		res, headLen, scanned = sniff(buf[:cut], scanned, maxHead)
		if res != sniffMore {
			return res, headLen, calls
		}
		if scanned != cut {
			panic(fmt.Sprintf("sniffMore returned scanned %d for %d bytes", scanned, cut))
		}
	}
	return res, headLen, calls
}

const (
	wsHead = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
		"Host: example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	getHead = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
)

// headWithUpgrade builds a request head with one extra header line.
func headWithUpgrade(line string) string {
	return "GET /ws HTTP/1.1\r\nHost: x\r\n" + line + "\r\nConnection: Upgrade\r\n\r\n"
}

// padHead returns a complete GET head of exactly n bytes.
func padHead(n int) string { return padHeadWith(n, "Host: x") }

// padHeadWith returns a complete GET head of exactly n bytes with the
// header line line and a padding header.
func padHeadWith(n int, line string) string {
	pre, post := "GET / HTTP/1.1\r\n"+line+"\r\nX-Pad: ", "\r\n\r\n"
	return pre + strings.Repeat("p", n-len(pre)-len(post)) + post
}

var sniffCases = []struct {
	name    string
	in      string
	res     sniffResult
	headLen int // -1: len(in)
}{
	// Complete heads.
	{"GET CRLF", getHead, sniffHTTP, -1},
	{"GET bare LF", "GET /hello HTTP/1.1\nHost: x\n\n", sniffHTTP, -1},
	{"GET mixed endings", "GET / HTTP/1.1\r\nHost: x\n\r\n", sniffHTTP, -1},
	{"GET no headers", "GET / HTTP/1.1\r\n\r\n", sniffHTTP, -1},
	{"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", sniffHTTP, -1},
	{"POST with body", "POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", sniffHTTP, len("POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\n")},
	{"pipelined", getHead + getHead, sniffHTTP, len(getHead)},
	{"M-SEARCH", "M-SEARCH * HTTP/1.1\r\n\r\n", sniffHTTP, -1},
	{"OPTIONS *", "OPTIONS * HTTP/1.1\r\n\r\n", sniffHTTP, -1},
	{"method of 16", "ABCDEFGHIJKLMNOP / HTTP/1.1\r\n\r\n", sniffHTTP, -1},
	{"CRLF CR not an end", "GET / HTTP/1.1\r\nA: b\r\n\rX\r\n\r\n", sniffHTTP, -1},

	// Upgrade detection.
	{"upgrade websocket", wsHead, sniffUpgrade, -1},
	{"upgrade bare LF", "GET /ws HTTP/1.1\nUpgrade: websocket\n\n", sniffUpgrade, -1},
	{"upgrade WebSocket", headWithUpgrade("Upgrade: WebSocket"), sniffUpgrade, -1},
	{"upgrade WEBSOCKET", headWithUpgrade("Upgrade: WEBSOCKET"), sniffUpgrade, -1},
	{"upgrade lowercase name", headWithUpgrade("upgrade: websocket"), sniffUpgrade, -1},
	{"upgrade no space", headWithUpgrade("Upgrade:websocket"), sniffUpgrade, -1},
	{"upgrade tabs and spaces", headWithUpgrade("Upgrade: \t websocket \t"), sniffUpgrade, -1},
	{"upgrade list h2c, websocket", headWithUpgrade("Upgrade: h2c, websocket"), sniffUpgrade, -1},
	{"upgrade list websocket, h2c", headWithUpgrade("Upgrade: websocket, h2c"), sniffUpgrade, -1},
	{"upgrade list no spaces", headWithUpgrade("Upgrade: h2c,websocket,foo"), sniffUpgrade, -1},
	{"upgrade twice, second matches", headWithUpgrade("Upgrade: h2c\r\nUpgrade: websocket"), sniffUpgrade, -1},
	{"upgrade with body", wsHead + "\x81\x82abcd", sniffUpgrade, len(wsHead)},
	{"upgrade space before colon", headWithUpgrade("Upgrade : websocket"), sniffHTTP, -1},
	{"upgrade h2c", headWithUpgrade("Upgrade: h2c"), sniffHTTP, -1},
	{"upgrade websockets", headWithUpgrade("Upgrade: websockets"), sniffHTTP, -1},
	{"upgrade web socket", headWithUpgrade("Upgrade: web socket"), sniffHTTP, -1},
	{"upgrade websocket/13", headWithUpgrade("Upgrade: websocket/13"), sniffHTTP, -1},
	{"upgrade empty", headWithUpgrade("Upgrade:"), sniffHTTP, -1},
	{"x-upgrade", headWithUpgrade("X-Upgrade: websocket"), sniffHTTP, -1},
	{"upgrades", headWithUpgrade("Upgrades: websocket"), sniffHTTP, -1},
	{"websocket in another header", headWithUpgrade("Connection: websocket"), sniffHTTP, -1},
	{"upgrade only in body", getHead + "Upgrade: websocket\r\n\r\n", sniffHTTP, len(getHead)},
	{"upgrade in target", "GET /Upgrade:websocket HTTP/1.1\r\n\r\n", sniffHTTP, -1},

	// Not HTTP/1.x.
	{"lowercase method", "get / HTTP/1.1\r\n\r\n", sniffBad, 0},
	{"lowercase method partial", "ge", sniffBad, 0},
	{"mixed-case method", "Get / HTTP/1.1\r\n\r\n", sniffBad, 0},
	{"tls client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", sniffBad, 0},
	{"tls first byte", "\x16", sniffBad, 0},
	{"method of 17", "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n", sniffBad, 0},
	{"method of 17 partial", "ABCDEFGHIJKLMNOPQ", sniffBad, 0},
	{"leading space", " GET / HTTP/1.1\r\n\r\n", sniffBad, 0},
	{"leading space partial", " GE", sniffBad, 0},
	{"leading CRLF", "\r\nGET / HTTP/1.1\r\n\r\n", sniffBad, 0},
	{"digit in method", "G3T / HTTP/1.1\r\n\r\n", sniffBad, 0},
	{"method then CRLF", "GET\r\n\r\n", sniffBad, 0},
	{"no version", "GET /\r\n\r\n", sniffBad, 0},
	{"no version, trailing space", "GET / \r\n\r\n", sniffBad, 0},
	{"empty target", "GET  HTTP/1.1\r\n\r\n", sniffBad, 0},
	{"HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", sniffBad, 0},
	{"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", sniffBad, 0},
	{"lowercase version", "GET / http/1.1\r\n\r\n", sniffBad, 0},
	{"version with trailing junk", "GET / HTTP/1.1x\r\n\r\n", sniffBad, 0},
	{"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", sniffBad, 0},
	{"bad request line, upgrade header", "GET /ws HTTP/3\r\nUpgrade: websocket\r\n\r\n", sniffBad, 0},

	// Incomplete.
	{"empty", "", sniffMore, 0},
	{"one letter", "G", sniffMore, 0},
	{"method of 16, no space yet", "ABCDEFGHIJKLMNOP", sniffMore, 0},
	{"request line only", "GET / HTTP/1.1\r\n", sniffMore, 0},
	{"ends in CRLF CR", "GET / HTTP/1.1\r\nHost: x\r\n\r", sniffMore, 0},
	{"ends in LF CR", "GET / HTTP/1.1\nHost: x\n\r", sniffMore, 0},
	{"no version yet", "GET /", sniffMore, 0},
	{"h2 preface start", "PRI * HTTP/2.0", sniffMore, 0},

	// MaxHeaderBytes.
	{"head exactly at the limit", padHead(testMaxHead), sniffHTTP, testMaxHead},
	{"head at the limit, body after", padHead(testMaxHead) + "0123456789", sniffHTTP, testMaxHead},
	{"head one byte over", padHead(testMaxHead + 1), sniffTooLarge, 0},
	{"head far over", padHead(3 * testMaxHead), sniffTooLarge, 0},
	{"incomplete, at the limit", padHead(testMaxHead + 4)[:testMaxHead], sniffMore, 0},
	{"incomplete, one byte over", padHead(testMaxHead + 4)[:testMaxHead+1], sniffTooLarge, 0},
	{"incomplete, LF CR at one byte over", padHead(testMaxHead + 4)[:testMaxHead-1] + "\n\r", sniffTooLarge, 0},
}

func TestSniff(t *testing.T) {
	for _, tc := range sniffCases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.headLen
			if want < 0 {
				want = len(tc.in)
			}
			res, headLen, scanned := sniff([]byte(tc.in), 0, testMaxHead)
			if res != tc.res || headLen != want {
				t.Fatalf("sniff(%q) = %s, %d; want %s, %d", trunc(tc.in), resultName(res), headLen, resultName(tc.res), want)
			}
			switch res {
			case sniffMore, sniffUpgrade, sniffHTTP, sniffTooLarge:
				if scanned != len(tc.in) {
					t.Fatalf("scanned = %d, want %d", scanned, len(tc.in))
				}
			}
		})
	}
}

// TestSniffEverySplit feeds every case in two calls, split at every point,
// carrying scanned: the result must not depend on how the bytes arrived.
func TestSniffEverySplit(t *testing.T) {
	for _, tc := range sniffCases {
		if len(tc.in) > 1024 {
			continue // covered by TestSniffLimitIncremental
		}
		t.Run(tc.name, func(t *testing.T) {
			wantRes, wantLen, _ := sniff([]byte(tc.in), 0, testMaxHead)
			for cut := 0; cut <= len(tc.in); cut++ {
				res, headLen, _ := feed([]byte(tc.in), []int{cut}, testMaxHead)
				if res != wantRes || headLen != wantLen {
					t.Fatalf("split at %d: %s, %d; one call gives %s, %d", cut, resultName(res), headLen, resultName(wantRes), wantLen)
				}
			}
		})
	}
}

// TestSniffPartialHeads: every proper prefix of a valid request is
// sniffMore, and the head completes at exactly the right byte when fed one
// byte at a time, in three pieces, or a byte short of each line ending.
func TestSniffPartialHeads(t *testing.T) {
	heads := []struct {
		name, head string
		res        sniffResult
	}{
		{"GET CRLF", getHead, sniffHTTP},
		{"GET bare LF", "GET /hello HTTP/1.1\nHost: x\n\n", sniffHTTP},
		{"GET LF then CRLF", "GET / HTTP/1.1\nA: b\n\r\n", sniffHTTP},
		{"GET CRLF then LF", "GET / HTTP/1.1\r\nA: b\r\n\n", sniffHTTP},
		{"upgrade", wsHead, sniffUpgrade},
		{"upgrade bare LF", "GET /ws HTTP/1.1\nUpgrade: websocket\n\n", sniffUpgrade},
	}
	for _, h := range heads {
		t.Run(h.name, func(t *testing.T) {
			in := []byte(h.head + "tail")
			n := len(h.head)
			for i := 0; i < n; i++ {
				if res, hl, sc := sniff(in[:i], 0, testMaxHead); res != sniffMore || hl != 0 || sc != i {
					t.Fatalf("prefix of %d bytes: %s, %d, %d; want More, 0, %d", i, resultName(res), hl, sc, i)
				}
			}
			// One byte at a time: the call that adds the last byte of the
			// head decides, and not before.
			cuts := make([]int, 0, len(in))
			for i := 1; i < len(in); i++ {
				cuts = append(cuts, i)
			}
			res, hl, calls := feed(in, cuts, testMaxHead)
			if res != h.res || hl != n || calls != n {
				t.Fatalf("byte by byte: %s, %d after %d calls; want %s, %d after %d", resultName(res), hl, calls, resultName(h.res), n, n)
			}
			// Three pieces, every pair of cut points.
			for i := 0; i <= len(in); i++ {
				for j := i; j <= len(in); j++ {
					res, hl, _ := feed(in, []int{i, j}, testMaxHead)
					if res != h.res || hl != n {
						t.Fatalf("cuts %d, %d: %s, %d; want %s, %d", i, j, resultName(res), hl, resultName(h.res), n)
					}
				}
			}
		})
	}
}

// TestSniffScannedCarried checks the scanned contract itself: sniffMore
// returns how far it searched, and a later call starting from there still
// finds a blank line that straddles the two reads, whichever of its 2 or 3
// bytes arrived first.
func TestSniffScannedCarried(t *testing.T) {
	cases := []struct {
		first, second string
		headLen       int
	}{
		{"GET / HTTP/1.1\r\nA: b\r\n", "\r\n", 24},
		{"GET / HTTP/1.1\r\nA: b\r\n\r", "\n", 24},
		{"GET / HTTP/1.1\r\nA: b\r", "\n\r\n", 24},
		{"GET / HTTP/1.1\r\nA: b", "\r\n\r\n", 24},
		{"GET / HTTP/1.1\nA: b\n", "\n", 21},
		{"GET / HTTP/1.1\nA: b", "\n\n", 21},
		{"GET / HTTP/1.1\nA: b\n", "\r\n", 22},
		{"GET / HTTP/1.1\nA: b\n\r", "\n", 22},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q+%q", tc.first, tc.second), func(t *testing.T) {
			buf := []byte(tc.first + tc.second + "body")
			res, _, scanned := sniff(buf[:len(tc.first)], 0, testMaxHead)
			if res != sniffMore || scanned != len(tc.first) {
				t.Fatalf("first call: %s, scanned %d", resultName(res), scanned)
			}
			res, hl, _ := sniff(buf, scanned, testMaxHead)
			if res != sniffHTTP || hl != tc.headLen {
				t.Fatalf("second call: %s, %d; want HTTP, %d", resultName(res), hl, tc.headLen)
			}
		})
	}
}

// TestSniffLimitIncremental: heads around MaxHeaderBytes, fed in chunks the
// way a socket delivers them.
func TestSniffLimitIncremental(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		res     sniffResult
		headLen int
	}{
		{"limit-1", padHead(testMaxHead - 1), sniffHTTP, testMaxHead - 1},
		{"limit", padHead(testMaxHead), sniffHTTP, testMaxHead},
		{"limit, with body", padHead(testMaxHead) + strings.Repeat("b", 5000), sniffHTTP, testMaxHead},
		{"limit+1", padHead(testMaxHead + 1), sniffTooLarge, 0},
		{"limit+1, with body", padHead(testMaxHead+1) + strings.Repeat("b", 5000), sniffTooLarge, 0},
		{"upgrade padded to limit+1", padHeadWith(testMaxHead+1, "Upgrade: websocket"), sniffTooLarge, 0},
		{"never ends", strings.TrimSuffix(padHead(2*testMaxHead), "\r\n\r\n"), sniffTooLarge, 0},
		{"upgrade padded to the limit", padHeadWith(testMaxHead, "Upgrade: websocket"), sniffUpgrade, testMaxHead},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 7, 1000, 4096, 8 << 10} {
			t.Run(fmt.Sprintf("%s/chunk=%d", tc.name, chunk), func(t *testing.T) {
				var cuts []int
				for c := chunk; c < len(tc.in); c += chunk {
					cuts = append(cuts, c)
				}
				res, hl, _ := feed([]byte(tc.in), cuts, testMaxHead)
				if res != tc.res || hl != tc.headLen {
					t.Fatalf("%s, %d; want %s, %d", resultName(res), hl, resultName(tc.res), tc.headLen)
				}
			})
		}
	}
}

// TestSniffMaxHead: the limit is the one passed in.
func TestSniffMaxHead(t *testing.T) {
	head := []byte(getHead) // 32 bytes
	for _, tc := range []struct {
		maxHead int
		res     sniffResult
	}{
		{len(head) + 1, sniffHTTP},
		{len(head), sniffHTTP},
		{len(head) - 1, sniffTooLarge},
		{16, sniffTooLarge},
	} {
		t.Run(fmt.Sprint(tc.maxHead), func(t *testing.T) {
			if res, _, _ := sniff(head, 0, tc.maxHead); res != tc.res {
				t.Fatalf("%s, want %s", resultName(res), resultName(tc.res))
			}
		})
	}
}
