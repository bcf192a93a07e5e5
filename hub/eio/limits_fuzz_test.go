package eio

import (
	"net/http"
	"net/netip"
	"testing"
)

// FuzzClientIP: X-Forwarded-For and the peer address come from the
// network. Whatever they hold, the key is normalized (no IPv4-mapped form,
// no zone, IPv6 cut to its /64), comes from the peer or the header and
// never from a header the peer is not trusted to send.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:80", "198.51.100.1")
	f.Add("10.0.0.1:80", "203.0.113.5, 198.51.100.1, 10.0.0.2")
	f.Add("192.0.2.1:80", "198.51.100.1")
	f.Add("[fd00::1]:80", "[2001:db8::1]:443,fd00::2")
	f.Add("[::ffff:10.0.0.1]:80", "::ffff:198.51.100.1")
	f.Add("10.0.0.1:80", ",,")
	f.Add("@", "198.51.100.1")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		h := http.Header{}
		h.Set("X-Forwarded-For", xff)
		got := clientIP(remote, h, trusted)
		if got.IsValid() {
			if got.Is4In6() || got.Zone() != "" {
				t.Fatalf("clientIP(%q, %q) = %v: not normalized", remote, xff, got)
			}
			if got.Is6() {
				if p, _ := got.Prefix(64); p.Addr() != got {
					t.Fatalf("clientIP(%q, %q) = %v: not cut to /64", remote, xff, got)
				}
			}
		}
		peer := normalizeIP(parseHostAddr(remote))
		if !inPrefixes(parseHostAddr(remote), trusted) && got != peer {
			t.Fatalf("clientIP(%q, %q) = %v from an untrusted peer (%v)", remote, xff, got, peer)
		}
		if plain := clientIP(remote, h, nil); plain != peer {
			t.Fatalf("without trusted proxies clientIP(%q) = %v, want %v", remote, plain, peer)
		}
	})
}
