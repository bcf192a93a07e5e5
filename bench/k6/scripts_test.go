// Package k6 holds k6 scripts for users' own load tests (see README.md);
// this test only checks them. k6 is not a Go dependency of siogate.
package k6

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptsParse checks that every script is valid JavaScript (an ES
// module) with node --check, and, when a k6 binary is at hand (K6=path, or
// k6 in PATH), that k6 itself loads it: k6 inspect evaluates the init code
// and prints the options. Without node the test is skipped, unless CI is
// set.
func TestScriptsParse(t *testing.T) {
	scripts, err := filepath.Glob("*.js")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no script: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but node is not in PATH")
		}
		t.Skip("node is not in PATH")
	}
	k6 := os.Getenv("K6")
	if k6 == "" {
		k6, _ = exec.LookPath("k6")
	}
	dir := t.TempDir()
	for _, s := range scripts {
		t.Run(s, func(t *testing.T) {
			src, err := os.ReadFile(s)
			if err != nil {
				t.Fatal(err)
			}
			// node treats .mjs as an ES module; --check parses without
			// resolving the k6/* imports.
			mjs := filepath.Join(dir, strings.TrimSuffix(s, ".js")+".mjs")
			if err := os.WriteFile(mjs, src, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(node, "--check", mjs).CombinedOutput(); err != nil {
				t.Fatalf("node --check %s: %v\n%s", s, err, out)
			}
			if k6 == "" {
				return
			}
			out, err := exec.Command(k6, "inspect", s).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "thresholds") {
				t.Fatalf("k6 inspect %s: %v\n%s", s, err, out)
			}
		})
	}
}
