package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

type config struct {
	addr         string
	path         string
	pingInterval time.Duration
	pingTimeout  time.Duration
	maxPayload   int
	maxQueued    int
	origins      []string
	drainTimeout time.Duration
	logLevel     slog.Level
}

// parseConfig reads flags, each defaulting to its SIOGATE_* environment
// variable when set.
func parseConfig(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("siogate", flag.ContinueOnError)
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, envOr(name, def), usage+" (env "+envName(name)+")")
	}
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		d := def
		if v, ok := os.LookupEnv(envName(name)); ok {
			if pd, err := time.ParseDuration(v); err == nil {
				d = pd
			}
		}
		fs.DurationVar(p, name, d, usage+" (env "+envName(name)+")")
	}
	num := func(p *int, name string, def int, usage string) {
		n := def
		if v, ok := os.LookupEnv(envName(name)); ok {
			fmt.Sscan(v, &n)
		}
		fs.IntVar(p, name, n, usage+" (env "+envName(name)+")")
	}
	var origins, level string
	str(&c.addr, "addr", ":3000", "listen address")
	str(&c.path, "path", "/socket.io/", "Socket.IO endpoint path")
	dur(&c.pingInterval, "ping-interval", 25*time.Second, "Engine.IO ping interval")
	dur(&c.pingTimeout, "ping-timeout", 20*time.Second, "Engine.IO ping timeout")
	num(&c.maxPayload, "max-payload", 1000000, "largest message or polling body a client may send, bytes")
	num(&c.maxQueued, "max-queued", 1<<20, "outbound bytes queued per client before it is cut as a slow consumer")
	str(&origins, "origins", "", "comma-separated allowed origins for CORS and WebSocket (empty: any, no CORS headers; * for any with CORS)")
	dur(&c.drainTimeout, "drain-timeout", 10*time.Second, "graceful shutdown bound")
	str(&level, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if origins != "" {
		for _, o := range strings.Split(origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.origins = append(c.origins, o)
			}
		}
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return c, fmt.Errorf("-log-level: %w", err)
	}
	if c.pingInterval <= 0 || c.pingTimeout <= 0 {
		return c, fmt.Errorf("-ping-interval and -ping-timeout must be positive")
	}
	return c, nil
}

func envName(flagName string) string {
	return "SIOGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func envOr(flagName, def string) string {
	if v, ok := os.LookupEnv(envName(flagName)); ok {
		return v
	}
	return def
}
