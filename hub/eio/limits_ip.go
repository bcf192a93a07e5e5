package eio

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the address that the per-address limits count a request
// against (Request.ClientIP).
//
// It is the TCP peer, unless the peer is in Options.TrustedProxies: then
// X-Forwarded-For is read from the right (the entry the nearest proxy
// appended) and the first entry that is not itself a trusted proxy is the
// client. Entries left of it were written by the client and are never
// believed. An entry that does not parse ends the walk at the proxy before
// it. Without TrustedProxies, X-Forwarded-For is ignored: behind a proxy
// every client then has the proxy's address.
//
// The result is normalized so that one client cannot pose as many: an
// IPv4-mapped IPv6 address becomes IPv4, and an IPv6 address stands for its
// whole /64 (a single host usually holds one). A peer address that does not
// parse (e.g. a Unix socket) gives the invalid netip.Addr{}, one shared key.
func clientIP(remote string, h http.Header, trusted []netip.Prefix) netip.Addr {
	ip := parseHostAddr(remote)
	if len(trusted) == 0 || !inPrefixes(ip, trusted) {
		return normalizeIP(ip)
	}
	vals := h.Values("X-Forwarded-For")
	for i := len(vals) - 1; i >= 0; i-- {
		entries := strings.Split(vals[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			hop := parseHostAddr(strings.TrimSpace(entries[j]))
			if !hop.IsValid() {
				return normalizeIP(ip)
			}
			ip = hop
			if !inPrefixes(ip, trusted) {
				return normalizeIP(ip)
			}
		}
	}
	return normalizeIP(ip)
}

// parseHostAddr parses "ip", "ip:port" or "[ipv6]:port"; invalid: zero.
func parseHostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr()
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a
	}
	return netip.Addr{}
}

func inPrefixes(ip netip.Addr, ps []netip.Prefix) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func normalizeIP(ip netip.Addr) netip.Addr {
	if !ip.IsValid() {
		return ip
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}
