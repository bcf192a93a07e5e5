package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/siogate/siogate/hub/siotest"
)

// nodeTestFiles lists dir/*.test.mjs like testFiles, or skips (fails under
// CI) when node or one of the npm packages is missing.
func nodeTestFiles(t *testing.T, dir string, packages ...string) []string {
	t.Helper()
	siotest.RequireNode(t, packages...)
	return testFiles(t, dir)
}

// testFiles lists dir/*.test.mjs (relative to this package), sorted; it
// fails t when there is none.
func testFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.test.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s/*.test.mjs files", dir)
	}
	sort.Strings(files)
	return files
}

// nodeCommand returns `node args...` killed when ctx ends, with env added
// to this process's environment, colours off, and 5 s for its output to
// drain after a kill.
func nodeCommand(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "NO_COLOR=1", "FORCE_COLOR=0")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runLines runs cmd with its stdout and stderr merged, hands each line of
// that output to line (in order, on one goroutine) and returns the error of
// cmd.Run once the whole output has been handled.
func runLines(cmd *exec.Cmd, line func(string)) error {
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	_ = pw.Close()
	<-handled
	return err
}
