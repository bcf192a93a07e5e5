package hub_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/siogate/siogate/hub"
)

func TestStoredPacketReaches(t *testing.T) {
	sock := []string{"sid1", "a", "b"}
	cases := []struct {
		rooms, except []string
		want          bool
	}{
		{nil, nil, true},                         // the whole namespace
		{[]string{"a"}, nil, true},               // one of its rooms
		{[]string{"sid1"}, nil, true},            // an emit to the socket
		{[]string{"c"}, nil, false},              // another room
		{[]string{"c", "b"}, nil, true},          // union of rooms
		{nil, []string{"sid1"}, false},           // broadcast from this socket
		{[]string{"a"}, []string{"b"}, false},    // in a room, but excluded by another
		{[]string{"a"}, []string{"other"}, true}, // excluded room it is not in
	}
	for i, tc := range cases {
		p := hub.StoredPacket{Rooms: tc.rooms, Except: tc.except}
		if got := p.Reaches(sock); got != tc.want {
			t.Errorf("case %d rooms %v except %v: %v, want %v", i, tc.rooms, tc.except, got, tc.want)
		}
	}
}

func appendN(t *testing.T, m *hub.MemoryStore, nsp string, n int, rooms ...string) []string {
	t.Helper()
	var offs []string
	for i := range n {
		off, err := m.Append(nsp, hub.StoredPacket{Event: "e", Args: [][]byte{[]byte(strconv.Itoa(i))}, Rooms: rooms})
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
	}
	return offs
}

func TestMemoryStoreMissed(t *testing.T) {
	ctx := context.Background()
	m := hub.NewMemoryStore(hub.MemoryStoreOptions{})
	offs := appendN(t, m, "/", 3, "a")
	appendN(t, m, "/other", 2, "a") // another namespace
	more := appendN(t, m, "/", 2, "b")
	offs = append(offs, more...)
	if len(slices.Compact(slices.Clone(offs))) != len(offs) {
		t.Fatalf("offsets repeat: %v", offs)
	}

	got, err := m.Missed(ctx, "/", offs[0], []string{"sid", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Offset != offs[1] || got[1].Offset != offs[2] || string(got[0].Args[0]) != "1" {
		t.Fatalf("missed after the first packet for room a: %+v", got)
	}
	if got, err := m.Missed(ctx, "/", offs[4], []string{"sid", "a", "b"}); err != nil || len(got) != 0 {
		t.Fatalf("after the last packet: %v %v", got, err)
	}
	for _, bad := range []string{"", "x", offs[0] + "0", "zzz-1", "-1"} {
		if _, err := m.Missed(ctx, "/", bad, []string{"sid"}); !errors.Is(err, hub.ErrOffsetUnknown) {
			t.Errorf("offset %q: %v, want ErrOffsetUnknown", bad, err)
		}
	}
	other := hub.NewMemoryStore(hub.MemoryStoreOptions{})
	if _, err := other.Missed(ctx, "/", offs[0], []string{"sid"}); !errors.Is(err, hub.ErrOffsetUnknown) {
		t.Errorf("another store's offset: %v", err)
	}
}

// TestMemoryStoreBounds: the record keeps MaxPackets, MaxBytes and MaxAge;
// an offset stays covered while nothing after it was dropped.
func TestMemoryStoreBounds(t *testing.T) {
	ctx := context.Background()
	m := hub.NewMemoryStore(hub.MemoryStoreOptions{MaxPackets: 4})
	offs := appendN(t, m, "/", 10)
	if st := m.Stats(); st.Packets != 4 {
		t.Fatalf("kept %d packets, want 4", st.Packets)
	}
	// offs[5] is dropped, but every packet after it is kept.
	if got, err := m.Missed(ctx, "/", offs[5], []string{"s"}); err != nil || len(got) != 4 {
		t.Fatalf("offset of the newest dropped packet: %d packets, %v", len(got), err)
	}
	if _, err := m.Missed(ctx, "/", offs[4], []string{"s"}); !errors.Is(err, hub.ErrOffsetUnknown) {
		t.Fatalf("a packet after the offset was dropped: %v", err)
	}

	big := make([]byte, 1000)
	mb := hub.NewMemoryStore(hub.MemoryStoreOptions{MaxBytes: 10_000})
	for range 50 {
		if _, err := mb.Append("/", hub.StoredPacket{Event: "e", Attachments: [][]byte{big}}); err != nil {
			t.Fatal(err)
		}
	}
	if st := mb.Stats(); st.Bytes > 10_000 || st.Packets < 5 || st.Packets > 10 {
		t.Fatalf("MaxBytes 10000: %+v", st)
	}

	ma := hub.NewMemoryStore(hub.MemoryStoreOptions{MaxAge: time.Minute})
	if _, err := ma.Append("/", hub.StoredPacket{Event: "old", Time: time.Now().Add(-2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if st := ma.Stats(); st.Packets != 0 {
		t.Fatalf("a packet older than MaxAge is kept: %+v", st)
	}
	appendN(t, ma, "/", 3)
	if st := ma.Stats(); st.Packets != 3 {
		t.Fatalf("fresh packets: %+v", st)
	}
}

func TestMemoryStoreSessions(t *testing.T) {
	ctx := context.Background()
	m := hub.NewMemoryStore(hub.MemoryStoreOptions{MaxSessions: 3})
	save := func(pid string, ttl time.Duration) {
		t.Helper()
		err := m.Save(ctx, hub.Session{PID: pid, SID: "s-" + pid, Nsp: "/", Rooms: []string{"r"}, Data: []byte(`{"k":1}`), Expires: time.Now().Add(ttl)})
		if err != nil {
			t.Fatal(err)
		}
	}
	save("p1", time.Minute)
	s, err := m.Take(ctx, "/", "p1")
	if err != nil || s.SID != "s-p1" || !slices.Equal(s.Rooms, []string{"r"}) || string(s.Data) != `{"k":1}` {
		t.Fatalf("take: %+v %v", s, err)
	}
	if _, err := m.Take(ctx, "/", "p1"); !errors.Is(err, hub.ErrSessionUnknown) {
		t.Fatalf("second take: %v", err)
	}
	save("p2", time.Minute)
	if _, err := m.Take(ctx, "/chat", "p2"); !errors.Is(err, hub.ErrSessionUnknown) {
		t.Fatalf("other namespace: %v", err)
	}
	if _, err := m.Take(ctx, "/", "p2"); err != nil {
		t.Fatalf("a take for another namespace must leave the session: %v", err)
	}
	save("p3", time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if _, err := m.Take(ctx, "/", "p3"); !errors.Is(err, hub.ErrSessionUnknown) {
		t.Fatalf("expired: %v", err)
	}
	for i := range 5 {
		save("q"+strconv.Itoa(i), time.Minute)
	}
	if st := m.Stats(); st.Sessions != 3 {
		t.Fatalf("MaxSessions 3: %d kept", st.Sessions)
	}
	if _, err := m.Take(ctx, "/", "q0"); !errors.Is(err, hub.ErrSessionUnknown) {
		t.Fatalf("the oldest session must be evicted: %v", err)
	}
	if _, err := m.Take(ctx, "/", "q4"); err != nil {
		t.Fatalf("the newest session: %v", err)
	}
}
