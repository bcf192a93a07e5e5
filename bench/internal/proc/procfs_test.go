package proc

import (
	"os"
	"testing"
	"time"
)

func TestStatusKB(t *testing.T) {
	status := []byte("Name:\tx\nVmRSS:\t  1234 kB\nRssAnon:\t 1000 kB\nBad:\t12\n")
	if n, err := statusKB(status, "VmRSS"); err != nil || n != 1234*1024 {
		t.Fatalf("VmRSS = %d, %v", n, err)
	}
	for _, key := range []string{"Bad", "Missing"} {
		if _, err := statusKB(status, key); err == nil {
			t.Errorf("%s: no error", key)
		}
	}
}

func TestStatCPUTicks(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"42 (a b) S 1 2 3 4 5 6 7 8 9 10 7 3 0", 10, false},
		{"42 (x)) y) R 1 2 3 4 5 6 7 8 9 10 100 250 0", 350, false},
		{"42 x S 1", 0, true},
		{"42 (x) S 1 2", 0, true},
		{"42 (x) S 1 2 3 4 5 6 7 8 9 10 a 3", 0, true},
	} {
		got, err := statCPUTicks([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("statCPUTicks(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestParseMachine(t *testing.T) {
	m, err := parseMachine([]byte("cpu  10 1 5 100 4 2 3 1 0 0\ncpu0 1 1 1 1 1 1 1 1\n"))
	if err != nil || m.Busy != 22 || m.Total != 126 {
		t.Fatalf("parseMachine = %+v, %v", m, err)
	}
	if _, err := parseMachine([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("no error")
	}
}

func TestReadSelf(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if s.RSS <= 0 || s.RSSAnon <= 0 || s.RSSAnon > s.RSS {
		t.Fatalf("sample %+v", s)
	}
	if n, err := CountFDs(os.Getpid()); err != nil || n < 3 {
		t.Fatalf("CountFDs = %d, %v", n, err)
	}
	if m, err := ReadMachine(); err != nil || m.Total <= 0 || m.Busy > m.Total {
		t.Fatalf("ReadMachine = %+v, %v", m, err)
	}
}

func TestChild(t *testing.T) {
	c, err := Start("sh", []string{"sh", "-c", `read x; echo "got $x"; echo second; echo oops >&2; exec sleep 30`}, StartOptions{Stdin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(time.Second)
	if err := c.Send("hello"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"got hello", "second"} {
		select {
		case got := <-c.Lines():
			if got != want {
				t.Fatalf("line %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no line %q", want)
		}
	}
	c.Stop(100 * time.Millisecond)
	if !c.Exited() {
		t.Fatal("still running after Stop")
	}
	if d := c.Describe(); d == "" {
		t.Fatal("no description")
	}
}
