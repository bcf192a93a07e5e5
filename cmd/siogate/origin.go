package main

import (
	"net/url"
	"slices"
	"strings"
)

// originPolicy decides which browser origins may open a Socket.IO
// connection (WebSocket or polling). A request without an Origin header is
// not from a browser page and is always allowed: the policy exists to stop
// cross-site WebSocket hijacking, where a foreign page drives a visitor's
// browser (and cookies) against the gateway.
type originPolicy struct {
	any      bool
	sameHost bool     // no list configured: Origin's host must be the request's Host
	list     []string // exact origins, lower case
}

func newOriginPolicy(allowed []string) originPolicy {
	if len(allowed) == 0 {
		return originPolicy{sameHost: true}
	}
	p := originPolicy{}
	for _, o := range allowed {
		if o == "*" {
			p.any = true
			continue
		}
		p.list = append(p.list, strings.TrimSuffix(strings.ToLower(o), "/"))
	}
	return p
}

// allowed reports whether a request from origin to host may connect.
func (p originPolicy) allowed(origin, host string) bool {
	if origin == "" || p.any {
		return true
	}
	if p.sameHost {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" {
			return false
		}
		return strings.EqualFold(u.Host, host) || strings.EqualFold(stripDefaultPort(u), host)
	}
	return slices.Contains(p.list, strings.ToLower(origin))
}

// stripDefaultPort returns u's host without :80 for http or :443 for https
// (the forms a Host header may take).
func stripDefaultPort(u *url.URL) string {
	h := u.Host
	switch {
	case u.Scheme == "http" && strings.HasSuffix(h, ":80"):
		return strings.TrimSuffix(h, ":80")
	case u.Scheme == "https" && strings.HasSuffix(h, ":443"):
		return strings.TrimSuffix(h, ":443")
	}
	return h
}
