package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/siogate/siogate/bench/sioload"
)

// fakeDriver is a driver with canned answers, standing for the polling
// loader (not a *sioload.Loader).
type fakeDriver struct {
	marks int
}

func (f *fakeDriver) Connect(_ context.Context, n int) (sioload.Result, error) {
	return sioload.Result{Connected: n}, nil
}

func (f *fakeDriver) Churn(_ context.Context, r sioload.ChurnRun) (sioload.ChurnResult, error) {
	if r.Cycles <= 0 {
		return sioload.ChurnResult{}, errors.New("no cycles")
	}
	return sioload.ChurnResult{Cycles: r.Cycles}, nil
}

func (f *fakeDriver) Len() int                      { return 0 }
func (f *fakeDriver) Mark() error                   { f.marks++; return nil }
func (f *fakeDriver) Stats() (sioload.Stats, error) { return sioload.Stats{Ready: 3}, nil }
func (f *fakeDriver) Complete() <-chan uint64       { return nil }
func (f *fakeDriver) Close() error                  { return nil }

func TestExecute(t *testing.T) {
	f := &fakeDriver{}
	x := &executor{d: f, deadline: time.Second}
	ctx := context.Background()
	for _, tc := range []struct {
		c       command
		ev, err string
	}{
		{command{Cmd: "connect", Count: 5}, "connected", ""},
		{command{Cmd: "connect"}, "error", "count > 0"},
		{command{Cmd: "mark"}, "ok", ""},
		{command{Cmd: "stats"}, "stats", ""},
		{command{Cmd: "churn", Count: 7}, "churned", ""},
		{command{Cmd: "churn"}, "error", "no cycles"},
		// The WebSocket-only commands say so on another transport.
		{command{Cmd: "stall", Share: 0.1}, "error", "-transport websocket"},
		{command{Cmd: "reconnect"}, "error", "-transport websocket"},
		{command{Cmd: "pace", Kind: "room"}, "error", "-transport websocket"},
	} {
		r := x.execute(ctx, tc.c)
		if r.Ev != tc.ev || !strings.Contains(r.Error, tc.err) {
			t.Errorf("%+v: %+v", tc.c, r)
		}
	}
	if f.marks != 1 {
		t.Errorf("%d marks", f.marks)
	}
	if r := x.execute(ctx, command{Cmd: "churn", Count: 7}); r.Churn == nil || r.Churn.Cycles != 7 {
		t.Errorf("churn reply %+v", r)
	}
}

func TestParseSources(t *testing.T) {
	got, err := parseSources(" 127.0.0.2, ,127.0.0.3")
	if err != nil || len(got) != 2 || got[1].String() != "127.0.0.3" {
		t.Fatalf("parseSources: %v, %v", got, err)
	}
	if _, err := parseSources("nope"); err == nil {
		t.Fatal("bad address accepted")
	}
}

func TestOpen(t *testing.T) {
	for _, s := range []settings{
		{addr: "127.0.0.1:1", mode: "socketio", transport: "carrier-pigeon"},
		{addr: "127.0.0.1:1", mode: "morse", transport: "websocket"},
		{addr: "127.0.0.1:1", mode: "websocket", transport: "polling"},
	} {
		if d, err := open(s); err == nil {
			d.Close()
			t.Errorf("open(%+v): no error", s)
		}
	}
	d, err := open(settings{addr: "127.0.0.1:1", mode: "socketio", transport: "polling"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, ok := d.(*sioload.PollLoader); !ok {
		t.Fatalf("polling driver is %T", d)
	}
}
