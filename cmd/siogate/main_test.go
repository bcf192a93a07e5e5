package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/siogate/siogate/hub/siotest"
)

// TestMain removes the binary the end-to-end tests built, and fails the
// run if goroutines of this package outlive the in-process tests (webhook
// workers, test backends).
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	if code == 0 {
		if leaked := siotest.LeakedGoroutines(); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}
