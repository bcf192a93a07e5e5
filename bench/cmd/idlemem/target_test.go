package main

import (
	"slices"
	"testing"
)

func TestParseTargetDef(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    target
		wantErr bool
	}{
		{"small=./cmd/wsecho -addr {addr} -buf 512", target{"small", "./cmd/wsecho", []string{"-addr", "{addr}", "-buf", "512"}}, false},
		{"b2=./bench/baseline", target{"b2", "./bench/baseline", []string{"-addr", "{addr}"}}, false},
		{"noequals", target{}, true},
		{"=./x", target{}, true},
		{"x=", target{}, true},
		{"a,b=./x", target{}, true},
		{"abs=/usr/bin/x", target{}, true},
	} {
		got, err := parseTargetDef(tc.in)
		if (err != nil) != tc.wantErr || got.Name != tc.want.Name || got.Package != tc.want.Package || !slices.Equal(got.Args, tc.want.Args) {
			t.Errorf("parseTargetDef(%q) = %+v, %v; want %+v, error %t", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestResolveTargets(t *testing.T) {
	custom := target{Name: "baseline", Package: "./other"}
	ts, err := resolveTargets([]string{"wsecho", "baseline"}, []target{custom})
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].Package != "./cmd/wsecho" || ts[1].Package != "./other" {
		t.Fatalf("resolveTargets = %+v (a definition must shadow a built-in)", ts)
	}
	if _, err := resolveTargets([]string{"nope"}, nil); err == nil {
		t.Fatal("unknown target: no error")
	}
	if _, err := resolveTargets(nil, nil); err == nil {
		t.Fatal("no targets: no error")
	}
	if got := ts[0].argv("127.0.0.1:9"); !slices.Equal(got, []string{"-addr", "127.0.0.1:9"}) {
		t.Fatalf("argv = %q", got)
	}
}

func TestParseCounts(t *testing.T) {
	got, err := parseCounts("10000, 19000", 5000)
	if err != nil || !slices.Equal(got, []int{10000, 19000}) {
		t.Fatalf("parseCounts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "x", "0", "-5", "1000000"} {
		if _, err := parseCounts(bad, 5000); err == nil {
			t.Errorf("parseCounts(%q): no error", bad)
		}
	}
}

func TestSourceIPs(t *testing.T) {
	if got := sourceIPs(0, 0); got != "127.0.1.2,127.0.1.3" {
		t.Fatalf("sourceIPs(0, 0) = %s", got)
	}
	if got := sourceIPs(3, 2); got != "127.0.4.6,127.0.4.7" {
		t.Fatalf("sourceIPs(3, 2) = %s", got)
	}
}
