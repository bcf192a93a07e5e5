package siotest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests of a package and fails the run if goroutines of
// siogate (servers, reactors, buses, test clients) outlive them: every test
// shuts its servers down and closes its clients, so nothing of ours may be
// left running. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := LeakedGoroutines(); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// LeakedGoroutines returns the stacks of goroutines running siogate code
// (other than its caller), waiting up to WaitTimeout for them to end; ""
// when there are none. TestMain functions call it after m.Run.
func LeakedGoroutines() string {
	deadline := time.Now().Add(WaitTimeout)
	for {
		var leaked []string
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "github.com/siogate/siogate/") && !strings.Contains(g, "LeakedGoroutines") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Recv waits for a value on ch, failing the test after WaitTimeout.
func Recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(WaitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
