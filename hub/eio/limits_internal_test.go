package eio

import (
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string // "" for the invalid address
	}{
		{"peer ipv4", "192.0.2.1:5000", nil, nil, "192.0.2.1"},
		{"peer ipv6 keyed by /64", "[2001:db8:1:2:3:4:5:6]:5000", nil, nil, "2001:db8:1:2::"},
		{"ipv4-mapped peer", "[::ffff:192.0.2.1]:5000", nil, nil, "192.0.2.1"},
		{"zone dropped", "[fe80::1%eth0]:5000", nil, nil, "fe80::"},
		{"unparseable peer", "@", nil, nil, ""},
		{"peer without port", "192.0.2.1", nil, nil, "192.0.2.1"},
		{"header ignored without trusted proxies", "192.0.2.1:1", []string{"198.51.100.1"}, nil, "192.0.2.1"},
		{"header ignored from an untrusted peer", "192.0.2.1:1", []string{"198.51.100.1"}, trusted, "192.0.2.1"},
		{"trusted peer: the client", "10.1.1.1:1", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"left entries are the client's own words", "10.1.1.1:1", []string{"203.0.113.5, 198.51.100.1"}, trusted, "198.51.100.1"},
		{"several trusted hops", "10.1.1.1:1", []string{"198.51.100.1, 10.2.2.2", "10.3.3.3"}, trusted, "198.51.100.1"},
		{"entry with a port", "10.1.1.1:1", []string{"198.51.100.1:443"}, trusted, "198.51.100.1"},
		{"bracketed ipv6 entry", "10.1.1.1:1", []string{"[2001:db8::1]"}, trusted, "2001:db8::"},
		{"garbage stops at the last proxy", "10.1.1.1:1", []string{"198.51.100.1, nonsense, 10.2.2.2"}, trusted, "10.2.2.2"},
		{"empty entry stops", "10.1.1.1:1", []string{""}, trusted, "10.1.1.1"},
		{"only proxies", "10.1.1.1:1", []string{"10.2.2.2"}, trusted, "10.2.2.2"},
		{"no header", "10.1.1.1:1", nil, trusted, "10.1.1.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.xff {
				h.Add("X-Forwarded-For", v)
			}
			got := clientIP(tc.remote, h, tc.trusted)
			if tc.want == "" {
				if got.IsValid() {
					t.Fatalf("got %v, want the invalid address", got)
				}
				return
			}
			if got != netip.MustParseAddr(tc.want) {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

// TestRateTable: burst, refill at the rate, Retry-After, addresses apart.
func TestRateTable(t *testing.T) {
	rt := newRateTable(10, 3, 1024) // one token per 100 ms, 3 at once
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	t0 := rt.epoch.Add(time.Hour)
	for i := range 3 {
		if _, ok := rt.allow(a, t0); !ok {
			t.Fatalf("burst token %d refused", i)
		}
	}
	wait, ok := rt.allow(a, t0)
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("fourth: ok %v, wait %v; want refused, 100ms", ok, wait)
	}
	if _, ok := rt.allow(b, t0); !ok {
		t.Fatal("another address was refused")
	}
	if _, ok := rt.allow(a, t0.Add(50*time.Millisecond)); ok {
		t.Fatal("a token after 50 ms")
	}
	if _, ok := rt.allow(a, t0.Add(100*time.Millisecond)); !ok {
		t.Fatal("no token after 100 ms")
	}
	if _, ok := rt.allow(a, t0.Add(100*time.Millisecond)); ok {
		t.Fatal("two tokens after 100 ms")
	}
	// Idle for a full refill: the whole burst again.
	t1 := t0.Add(time.Second)
	for i := range 3 {
		if _, ok := rt.allow(a, t1); !ok {
			t.Fatalf("after a refill, token %d refused", i)
		}
	}
}

// TestRateTableBounded: an attacker rotating through addresses cannot grow
// the table past its size, and the table empties itself when the traffic
// stops (everything is older than a full refill).
func TestRateTableBounded(t *testing.T) {
	const size = 1024
	rt := newRateTable(1, 5, size)
	now := rt.epoch.Add(time.Minute)
	for i := range 100000 {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if _, ok := rt.allow(ip, now); !ok {
			t.Fatalf("new address %v refused", ip)
		}
		if n := rt.len(); n > size {
			t.Fatalf("%d entries after %d addresses, bound %d", n, i+1, size)
		}
	}
	// The bound costs nothing in correctness for recent heavy hitters: an
	// address that just used its burst is still refused.
	hot := netip.MustParseAddr("192.0.2.9")
	for range 5 {
		rt.allow(hot, now)
	}
	if _, ok := rt.allow(hot, now); ok {
		t.Fatal("an exhausted address got a token")
	}
	later := now.Add(time.Hour)
	rt.allow(hot, later)
	rt.allow(hot, later.Add(time.Hour))
	if n := rt.len(); n != 1 {
		t.Fatalf("%d entries after an idle hour, want 1", n)
	}
}
