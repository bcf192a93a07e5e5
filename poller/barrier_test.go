package poller

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoNetpollWriter guards shareNetpollBarrier: every netpoll connection
// shares one output barrier, which is safe only because the poller never
// writes through netpoll's own write path.
func TestNoNetpollWriter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	use := regexp.MustCompile(`\.(Writer\(\)|Flush\(\)|WriteBinary\(|WriteDirect\(|Malloc\()`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if use.MatchString(line) {
				t.Errorf("%s:%d uses netpoll's write path, which shares one barrier across connections (barrier.go): %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// TestNetpollBarrierShared checks that the pool hands out one barrier.
func TestNetpollBarrierShared(t *testing.T) {
	configureNetpoll()
	a, b := netpollBarrierPool.Get(), netpollBarrierPool.Get()
	if a == nil || a != b {
		t.Fatalf("netpoll barrier pool not shared: %p %p", a, b)
	}
	netpollBarrierPool.Put(a)
	netpollBarrierPool.Put(b)
}
