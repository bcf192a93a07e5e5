package main

import (
	"fmt"
	"strings"
)

// addrArg is replaced by the server's listen address in a target's arguments.
const addrArg = "{addr}"

// target is one server under test: a name, the package that builds it
// (relative to the module root) and its arguments.
type target struct {
	Name    string
	Package string
	Args    []string
}

// builtinTargets are the servers known by name. Both must listen on -addr,
// accept WebSocket upgrades, serve /debug/pprof/ and GET /debug/gc.
var builtinTargets = []target{
	{Name: "wsecho", Package: "./cmd/wsecho", Args: []string{"-addr", addrArg}},
	{Name: "baseline", Package: "./bench/baseline", Args: []string{"-addr", addrArg}},
}

// argv returns t's arguments with the listen address filled in.
func (t target) argv(addr string) []string {
	out := make([]string, len(t.Args))
	for i, a := range t.Args {
		out[i] = strings.ReplaceAll(a, addrArg, addr)
	}
	return out
}

// parseTargetDef parses a -target definition, "name=./pkg arg ...", split
// on spaces. Without arguments the target gets "-addr {addr}".
func parseTargetDef(s string) (target, error) {
	name, rest, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	fields := strings.Fields(rest)
	if !ok || name == "" || strings.Contains(name, ",") || len(fields) == 0 {
		return target{}, fmt.Errorf("target %q: want name=./pkg [args...]", s)
	}
	t := target{Name: name, Package: fields[0], Args: fields[1:]}
	if len(t.Args) == 0 {
		t.Args = []string{"-addr", addrArg}
	}
	if !strings.HasPrefix(t.Package, "./") {
		return target{}, fmt.Errorf("target %q: package must be relative to the module root (./...)", s)
	}
	return t, nil
}

// resolveTargets looks names up in defs, then in builtinTargets.
func resolveTargets(names []string, defs []target) ([]target, error) {
	var out []target
	for _, n := range names {
		t, ok := findTarget(n, defs)
		if !ok {
			t, ok = findTarget(n, builtinTargets)
		}
		if !ok {
			return nil, fmt.Errorf("unknown target %q (built-in: wsecho, baseline; define others with -target)", n)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no targets")
	}
	return out, nil
}

func findTarget(name string, ts []target) (target, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t, true
		}
	}
	return target{}, false
}
