package poller

import (
	"bytes"
	"testing"
)

// FuzzSniff feeds arbitrary bytes to sniff in one call, in two calls split
// at an arbitrary point (carrying scanned, as the server does) and, for
// short inputs, one byte at a time. Every way must agree, agree with
// refSniff, and respect the result's contract. maxHead is kept at or above
// 256, the smallest MaxHeaderBytes New accepts.
func FuzzSniff(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, split uint16, mh uint16) {
		maxHead := 256 + int(mh)%1024
		res, headLen, scanned := sniff(data, 0, maxHead)
		checkSniffContract(t, data, maxHead, res, headLen, scanned)

		if wantRes, wantLen := refSniff(data, maxHead); res != wantRes || headLen != wantLen {
			t.Fatalf("sniff(%q, max %d) = %s, %d; reference says %s, %d",
				data, maxHead, resultName(res), headLen, resultName(wantRes), wantLen)
		}

		k := int(split) % (len(data) + 1)
		r2, h2, s1 := sniff(data[:k], 0, maxHead)
		checkSniffContract(t, data[:k], maxHead, r2, h2, s1)
		if r2 == sniffMore {
			var s2 int
			r2, h2, s2 = sniff(data, s1, maxHead)
			checkSniffContract(t, data, maxHead, r2, h2, s2)
		}
		if r2 != res || h2 != headLen {
			t.Fatalf("split at %d of %d: %s, %d; one call: %s, %d",
				k, len(data), resultName(r2), h2, resultName(res), headLen)
		}

		if len(data) <= 4096 {
			cuts := make([]int, 0, len(data))
			for i := 1; i < len(data); i++ {
				cuts = append(cuts, i)
			}
			if r3, h3, _ := feed(data, cuts, maxHead); r3 != res || h3 != headLen {
				t.Fatalf("byte by byte: %s, %d; one call: %s, %d", resultName(r3), h3, resultName(res), headLen)
			}
		}
	})
}

// checkSniffContract checks what each result promises about buf.
func checkSniffContract(t *testing.T, buf []byte, maxHead int, res sniffResult, headLen, scanned int) {
	t.Helper()
	if headLen < 0 || headLen > len(buf) || headLen > maxHead {
		t.Fatalf("%s: headLen %d out of [0, min(%d, %d)]", resultName(res), headLen, len(buf), maxHead)
	}
	switch res {
	case sniffMore:
		if headLen != 0 || scanned != len(buf) {
			t.Fatalf("More: headLen %d, scanned %d of %d", headLen, scanned, len(buf))
		}
		if len(buf) > maxHead {
			t.Fatalf("More with %d bytes, past the %d limit", len(buf), maxHead)
		}
		if bytes.Contains(buf, []byte("\n\n")) || bytes.Contains(buf, []byte("\n\r\n")) {
			t.Fatal("More although buf holds a blank line")
		}
	case sniffBad, sniffTooLarge:
		if headLen != 0 {
			t.Fatalf("%s with headLen %d", resultName(res), headLen)
		}
	case sniffUpgrade, sniffHTTP:
		head := buf[:headLen]
		if !bytes.HasSuffix(head, []byte("\n\n")) && !bytes.HasSuffix(head, []byte("\n\r\n")) {
			t.Fatalf("%s: head %q does not end with a blank line", resultName(res), head)
		}
		// The first blank line, not a later one.
		inner := head[:len(head)-1]
		if bytes.Contains(inner, []byte("\n\n")) || bytes.Contains(inner, []byte("\n\r\n")) {
			t.Fatalf("%s: head %q holds an earlier blank line", resultName(res), head)
		}
		if scanned != len(buf) {
			t.Fatalf("%s: scanned %d of %d", resultName(res), scanned, len(buf))
		}
	default:
		t.Fatalf("unknown result %d", res)
	}
}

// refSniff is a second, deliberately plain reading of sniff's documented
// rules, for the fuzzer to compare against.
func refSniff(buf []byte, maxHead int) (sniffResult, int) {
	// Method: 1 to 16 of [A-Z-], then a space.
	n := 0
	for n < len(buf) && (buf[n] >= 'A' && buf[n] <= 'Z' || buf[n] == '-') {
		n++
	}
	if n > maxMethodLen || n < len(buf) && (buf[n] != ' ' || n == 0) {
		return sniffBad, 0
	}
	// The head ends at the earliest LF LF or LF CR LF.
	end := -1
	if i := bytes.Index(buf, []byte("\n\n")); i >= 0 {
		end = i + 2
	}
	if i := bytes.Index(buf, []byte("\n\r\n")); i >= 0 && (end < 0 || i+3 < end) {
		end = i + 3
	}
	if end < 0 {
		if len(buf) > maxHead {
			return sniffTooLarge, 0
		}
		return sniffMore, 0
	}
	if end > maxHead {
		return sniffTooLarge, 0
	}
	head := buf[:end]
	lines := bytes.Split(head, []byte("\n"))
	// Request line: METHOD SP target SP HTTP/1.x, target not empty.
	rl := bytes.TrimSuffix(lines[0], []byte("\r"))
	_, rest, _ := bytes.Cut(rl, []byte(" "))
	sp := bytes.LastIndex(rest, []byte(" "))
	if sp < 1 {
		return sniffBad, 0
	}
	if p := string(rest[sp+1:]); p != "HTTP/1.1" && p != "HTTP/1.0" {
		return sniffBad, 0
	}
	// Upgrade: a header named exactly "Upgrade" (any case) whose value
	// lists the token websocket (any case; bytes.EqualFold, as gobwas/ws
	// compares it).
	for _, l := range lines {
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok || !bytes.EqualFold(name, []byte("Upgrade")) {
			continue
		}
		for _, tok := range bytes.Split(value, []byte(",")) {
			if bytes.EqualFold(bytes.TrimSpace(tok), []byte("websocket")) {
				return sniffUpgrade, end
			}
		}
	}
	return sniffHTTP, end
}
