package main

import (
	"os"
	"testing"
)

const statusSample = `Name:	baseline
Umask:	0022
State:	S (sleeping)
VmPeak:	 1240356 kB
VmRSS:	   60792 kB
RssAnon:	   53480 kB
RssFile:	    7312 kB
Threads:	7
`

func TestStatusKB(t *testing.T) {
	for _, tc := range []struct {
		key     string
		want    int64
		wantErr bool
	}{
		{"VmRSS", 60792 * 1024, false},
		{"RssAnon", 53480 * 1024, false},
		{"Threads", 0, true}, // no unit
		{"VmSwap", 0, true},  // absent
		{"Vm", 0, true},      // prefix of a key is not a key
	} {
		t.Run(tc.key, func(t *testing.T) {
			got, err := statusKB([]byte(statusSample), tc.key)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("statusKB(%s) = %d, %v; want %d, error %t", tc.key, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestStatCPUTicks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stat    string
		want    int64
		wantErr bool
	}{
		{"plain", "1234 (baseline) S 1 1234 1234 0 -1 4194560 500 0 0 0 17 4 0 0 20 0 7 0 100 0 0", 21, false},
		{"name with spaces and parens", "99 (a b) c) R 1 99 99 0 -1 0 0 0 0 0 300 25 0 0 20 0 1 0 5", 325, false},
		{"truncated", "99 (x) R 1 2 3", 0, true},
		{"no name", "garbage", 0, true},
		{"not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 4 0", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := statCPUTicks([]byte(tc.stat))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("statCPUTicks = %d, %v; want %d, error %t", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if s.RSS <= 0 || s.RSSAnon <= 0 || s.RSSAnon > s.RSS {
		t.Fatalf("sample %+v", s)
	}
	if n, err := countFDs(os.Getpid()); err != nil || n < 3 {
		t.Fatalf("countFDs = %d, %v", n, err)
	}
}
