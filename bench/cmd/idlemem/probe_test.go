package main

import "testing"

func TestParseGoroutineTotal(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"goroutine profile: total 19006\n1 @ 0x1 0x2\n", 19006, false},
		{"goroutine profile: total 6", 6, false},
		{"goroutine profile: total x\n", 0, true},
		{"heap profile: 1: 2 [3: 4] @ heap/1048576\n", 0, true},
		{"", 0, true},
	} {
		got, err := parseGoroutineTotal([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseGoroutineTotal(%q) = %d, %v; want %d, error %t", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseMemStats(t *testing.T) {
	const profile = `heap profile: 2: 64 [3: 96] @ heap/524288
1: 32 [1: 32] @ 0x1 0x2
#	0x487f44	runtime.mallocgc+0xa4		malloc.go:1150

# runtime.MemStats
# Alloc = 231480
# Sys = 12278024
# HeapSys = 8028160
# HeapInuse = 811008
# Stack = 360448 / 360448
# MSpan = 24000 / 32640
# NumGC = 0
`
	got, err := parseMemStats([]byte(profile))
	if err != nil {
		t.Fatal(err)
	}
	if want := (memStats{HeapInuse: 811008, StackInuse: 360448, Sys: 12278024}); got != want {
		t.Fatalf("parseMemStats = %+v, want %+v", got, want)
	}
	if _, err := parseMemStats([]byte("heap profile: 0: 0 [0: 0] @ heap/1\n")); err == nil {
		t.Fatal("no trailer: no error")
	}
	if _, err := parseMemStats([]byte("# HeapInuse = x\n# Stack = 1 / 1\n# Sys = 1\n")); err == nil {
		t.Fatal("bad number: no error")
	}
}
