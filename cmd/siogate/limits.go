package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/siogate/siogate/hub"
)

// limitsConfig holds the gateway's limit settings (docs/security.md has the
// table). The per-address limits and the event rate are off by default:
// behind a proxy that is not listed in -trusted-proxies, or behind a
// carrier NAT, many users share one address, and only the operator knows
// the topology.
type limitsConfig struct {
	maxConnections      int
	maxConnectionsPerIP int
	handshakeRate       float64
	handshakeBurst      int
	trustedProxies      []netip.Prefix
	eventRate           float64
	eventBurst          int
	eventRatePolicy     string
	maxRooms            int
	maxPendingAcks      int
	maxAttachments      int
	maxMailbox          int
}

// addFlags registers the limit flags on fs. The returned function checks
// them once fs is parsed.
func (l *limitsConfig) addFlags(fs *flag.FlagSet) func() error {
	var proxies string
	fs.IntVar(&l.maxConnections, "max-connections", 0, "open Engine.IO connections at most; over it handshakes get 503 (0: no limit)")
	fs.IntVar(&l.maxConnectionsPerIP, "max-connections-per-ip", 0, "open connections per client address at most; over it handshakes get 429 (0: no limit; behind a proxy see -trusted-proxies)")
	fs.Float64Var(&l.handshakeRate, "handshake-rate", 0, "new connections per second per client address; over it handshakes get 429 with Retry-After (0: no limit)")
	fs.IntVar(&l.handshakeBurst, "handshake-burst", 0, "handshakes a client address may make at once before -handshake-rate applies (0: the rate rounded up)")
	fs.StringVar(&proxies, "trusted-proxies", "", "addresses or CIDR prefixes of proxies whose X-Forwarded-For names the client for the per-address limits (empty: the TCP peer is the client)")
	fs.Float64Var(&l.eventRate, "event-rate", 0, "events per second a connection may send (0: no limit)")
	fs.IntVar(&l.eventBurst, "event-burst", 0, "events a connection may send at once before -event-rate applies (0: the rate rounded up)")
	fs.StringVar(&l.eventRatePolicy, "event-rate-policy", string(hub.RateAckError), "what an event over -event-rate gets: ack-error (dropped; an ack {\"error\":\"rate limited\"} if it asked for one) or disconnect")
	fs.IntVar(&l.maxRooms, "max-rooms-per-socket", 1024, "rooms one socket may be in; a join past it is refused and counted (-1: no limit)")
	fs.IntVar(&l.maxPendingAcks, "max-pending-acks", 1024, "acknowledgements the gateway awaits from one socket at a time (-1: no limit)")
	fs.IntVar(&l.maxAttachments, "max-attachments", 10, "binary attachments per client packet; more closes the connection")
	fs.IntVar(&l.maxMailbox, "max-mailbox", 1024, "packets received from a connection and not yet handled; more closes the connection")
	return func() error {
		for _, p := range splitList(proxies) {
			pfx, err := parsePrefix(p)
			if err != nil {
				return fmt.Errorf("-trusted-proxies: %q is neither an address nor a CIDR prefix", p)
			}
			l.trustedProxies = append(l.trustedProxies, pfx)
		}
		switch {
		case l.maxConnections < 0 || l.maxConnectionsPerIP < 0:
			return errors.New("-max-connections and -max-connections-per-ip must not be negative (0: no limit)")
		case !isRate(l.handshakeRate) || !isRate(l.eventRate):
			return errors.New("-handshake-rate and -event-rate must be rates per second, 0 or more")
		case l.handshakeBurst < 0 || l.eventBurst < 0:
			return errors.New("-handshake-burst and -event-burst must not be negative")
		case l.eventRatePolicy != string(hub.RateAckError) && l.eventRatePolicy != string(hub.RateDisconnect):
			return fmt.Errorf("-event-rate-policy: %q is neither ack-error nor disconnect", l.eventRatePolicy)
		case l.maxRooms == 0 || l.maxRooms < -1 || l.maxPendingAcks == 0 || l.maxPendingAcks < -1:
			return errors.New("-max-rooms-per-socket and -max-pending-acks must be positive, or -1 for no limit")
		case l.maxAttachments <= 0 || l.maxMailbox <= 0:
			return errors.New("-max-attachments and -max-mailbox must be positive")
		}
		return nil
	}
}

func isRate(r float64) bool { return r >= 0 && !math.IsInf(r, 0) && !math.IsNaN(r) }

// parsePrefix accepts "10.0.0.0/8" or a single address ("10.0.0.1").
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// apply sets the limits on the hub's options and returns them.
func (l limitsConfig) apply(o hub.Options) hub.Options {
	o.MaxConnections = l.maxConnections
	o.MaxConnectionsPerIP = l.maxConnectionsPerIP
	o.HandshakeRate = l.handshakeRate
	o.HandshakeBurst = l.handshakeBurst
	o.TrustedProxies = l.trustedProxies
	o.EventRate = l.eventRate
	o.EventBurst = l.eventBurst
	o.EventRatePolicy = hub.RatePolicy(l.eventRatePolicy)
	o.MaxRoomsPerSocket = l.maxRooms
	o.MaxPendingAcks = l.maxPendingAcks
	o.MaxAttachments = l.maxAttachments
	o.MaxMailbox = l.maxMailbox
	return o
}
