package siotest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FreeAddr returns a 127.0.0.1 address whose port was free a moment ago,
// for a server process a test starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// RaceEnabled reports whether the running test binary was built with
// -race (so that the binaries a test builds can be too).
func RaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			on, _ := strconv.ParseBool(s.Value)
			return on
		}
	}
	return false
}

// Build compiles the Go package pkg (an import path) into the file out,
// with -race when the running test binary has it, so that the processes a
// test starts are checked as strictly as the test itself.
func Build(out, pkg string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("go command not found: %w", err)
	}
	args := []string{"build", "-o", out}
	if RaceEnabled() {
		args = append(args, "-race")
	}
	args = append(args, pkg)
	if b, err := exec.Command(goBin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// SkipOrFail skips the test with the message, or fails it when the
// environment variable CI is set: CI must run every test.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// RequireRedis skips the test (fails it under CI) when no Redis answers at
// 127.0.0.1:6379.
func RequireRedis(t testing.TB) {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second)
	if err != nil {
		SkipOrFail(t, "no Redis at 127.0.0.1:6379 (%v): start redis-server to run this test (required under CI)", err)
		return
	}
	_ = c.Close()
}

// RequireNode skips the test (fails it under CI) when node is not on the
// PATH or one of the npm packages is missing from node_modules (relative
// to the test's directory).
func RequireNode(t testing.TB, packages ...string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		SkipOrFail(t, "node is not installed: end-to-end tests need Node 20 with npm")
		return
	}
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join("node_modules", p, "package.json")); err != nil {
			SkipOrFail(t, "node_modules/%s is missing: run `make deps` (npm) first", p)
			return
		}
	}
}
