package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/siogate/siogate/bench/sioload"
)

// addrArg is replaced by the server's listen address in a target's arguments.
const addrArg = "{addr}"

// target is one server under test.
type target struct {
	Name string
	// Mode is what the load generator speaks to it: Socket.IO targets are
	// compared with each other, raw WebSocket ones are the floor.
	Mode sioload.Mode
	// Package is the Go package to build (relative to the module root, or
	// to Module), or "" for the Node reference.
	Package string
	// Module is the directory (relative to the module root) of the nested
	// Go module holding Package, built with go build run in that directory,
	// or "" when Package is in siogate's own module. A nested module keeps
	// a benchmark-only dependency (nbio) out of siogate's go.mod and out of
	// go build/test ./... at the root.
	Module string
	// Script is the Node script (relative to the module root).
	Script string
	// Args are the arguments, {addr} being the listen address.
	Args []string
	// GoRuntime: the server serves net/http/pprof (goroutines, MemStats).
	GoRuntime bool
	// ReadyPath answers 200 once the server accepts.
	ReadyPath string
	// PerSocket is the goroutines the server keeps per connected socket
	// (Go targets): a settled server holds its idle count plus this many
	// per socket.
	PerSocket int
	// QueueFlag is the flag that sets the outbound queue limit per client
	// (the slow scenario lowers it), or "" when the server has none.
	QueueFlag string
}

// socketIOOnly are the scenarios that need Socket.IO (rooms, long-polling,
// acknowledgements): the raw WebSocket targets sit them out.
var socketIOOnly = []string{"rooms", "slow", "mix", "churn"}

// supports reports whether scenario applies to t.
func (t target) supports(scenario string) bool {
	return t.Mode == sioload.SocketIO || !slices.Contains(socketIOOnly, scenario)
}

// builtinTargets are the servers known by name. Each serves GET /debug/gc
// (a full collection, answering "ok") on its listen port; the Socket.IO
// ones also GET /debug/stats (serverStats).
var builtinTargets = []target{
	{
		Name: "siogate", Mode: sioload.SocketIO, Package: "./cmd/conformance",
		// Socket.IO's production timings (the fixture's defaults are the
		// protocol suite's: 300/200 ms pings, a 1 s connect timeout), and
		// no "auth" event after each connect (bench/node/server.mjs has
		// none; it costs a timer goroutine and a message per connect).
		Args:      []string{"-addr", addrArg, "-ping-interval", "25s", "-ping-timeout", "20s", "-connect-timeout", "45s", "-auth-delay", "-1s", "-debug"},
		GoRuntime: true, ReadyPath: "/debug/pprof/", QueueFlag: "-max-queued",
	},
	{
		Name: "node", Mode: sioload.SocketIO, Script: "bench/node/server.mjs",
		Args:      []string{"--addr", addrArg},
		ReadyPath: "/debug/stats",
	},
	{
		Name: "wsecho", Mode: sioload.WebSocket, Package: "./cmd/wsecho",
		Args: []string{"-addr", addrArg}, GoRuntime: true, ReadyPath: "/debug/pprof/",
	},
	{
		Name: "baseline", Mode: sioload.WebSocket, Package: "./bench/baseline",
		Args: []string{"-addr", addrArg}, GoRuntime: true, ReadyPath: "/debug/pprof/", PerSocket: 1,
	},
	{
		// lesismal/nbio's non-blocking server: the raw floor of another
		// event-driven Go WebSocket stack.
		Name: "nbio", Mode: sioload.WebSocket, Module: "bench/nbio", Package: ".",
		Args: []string{"-addr", addrArg}, GoRuntime: true, ReadyPath: "/debug/pprof/",
	},
}

// protocol names the target's protocol in records.
func (t target) protocol() string { return t.Mode.String() }

// argv returns the command line of the server, bin being the built Go
// binary (ignored for Node).
func (t target) argv(root, bin, addr string, extra ...string) []string {
	var out []string
	if t.Script != "" {
		out = []string{"node", "--expose-gc", filepath.Join(root, t.Script)}
	} else {
		out = []string{bin}
	}
	for _, a := range t.Args {
		out = append(out, strings.ReplaceAll(a, addrArg, addr))
	}
	return append(out, extra...)
}

// nodeAvailable tells why the Node reference cannot run, or nil.
func nodeAvailable(root string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return errors.New("node is not in PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "socket.io", "package.json")); err != nil {
		return errors.New("e2e/node_modules/socket.io is missing (run: cd e2e && npm ci)")
	}
	return nil
}

// resolveTargets looks the names up.
func resolveTargets(names []string) ([]target, error) {
	var out []target
	for _, n := range names {
		found := false
		for _, t := range builtinTargets {
			if t.Name == n {
				out, found = append(out, t), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown target %q (siogate, node, wsecho, baseline, nbio)", n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no targets")
	}
	return out, nil
}
