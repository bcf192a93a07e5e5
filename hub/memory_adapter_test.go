package hub_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/siogate/siogate/hub"
)

// adapterFixture is a fresh MemoryAdapter over a namespace holding real
// sockets: the namespace's own adapter is left alone, so the test sees
// exactly the membership it sets up.
func adapterFixture(t *testing.T, n int) (*hub.MemoryAdapter, []*hub.Socket) {
	t.Helper()
	srv := newPollServer(t, hub.Options{})
	socks := make([]*hub.Socket, n)
	for i := range socks {
		_, sid := pollConnect(t, srv)
		socks[i] = socketOf(t, srv, "/", sid)
	}
	return hub.NewMemoryAdapter(srv.Of("/")), socks
}

func TestMemoryAdapterMembership(t *testing.T) {
	a, s := adapterFixture(t, 2)
	if got := a.SocketRooms(s[0]); got != nil {
		t.Fatalf("unknown socket: rooms %q, want nil", got)
	}
	a.AddAll(s[0], nil)
	if got := a.SocketRooms(s[0]); !slices.Equal(got, []string{s[0].ID()}) {
		t.Fatalf("rooms %q", got)
	}
	a.AddAll(s[0], []string{"a", "b", "a", s[0].ID()})
	a.AddAll(s[0], []string{"b", "c"})
	a.AddAll(s[1], []string{"c"})
	if got := a.SocketRooms(s[0]); !slices.Equal(got, []string{s[0].ID(), "a", "b", "c"}) {
		t.Fatalf("rooms %q", got)
	}
	if got := a.Rooms(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("Rooms %q (socket id rooms must not be listed)", got)
	}
	a.Del(s[0], "b")
	a.Del(s[0], "zzz")
	a.Del(s[0], s[0].ID()) // the own room stays
	if got := a.SocketRooms(s[0]); !slices.Equal(got, []string{s[0].ID(), "a", "c"}) {
		t.Fatalf("after Del: %q", got)
	}
	if got := a.Rooms(); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("Rooms after Del %q", got)
	}
	a.DelAll(s[0])
	if got := a.SocketRooms(s[0]); got != nil {
		t.Fatalf("after DelAll: %q", got)
	}
	if got := a.Rooms(); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("Rooms after DelAll %q", got)
	}
	a.Del(s[0], "c") // not a member any more: no effect on others
	if got := a.SocketRooms(s[1]); !slices.Equal(got, []string{s[1].ID(), "c"}) {
		t.Fatalf("other socket: %q", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryAdapterSelect(t *testing.T) {
	a, s := adapterFixture(t, 4)
	a.AddAll(s[0], []string{"a"})
	a.AddAll(s[1], []string{"a", "b"})
	a.AddAll(s[2], []string{"b"})
	a.AddAll(s[3], nil)
	id := func(i int) string { return s[i].ID() }
	cases := []struct {
		name string
		opts hub.BroadcastOptions
		want []int
	}{
		{"all", hub.BroadcastOptions{}, []int{0, 1, 2, 3}},
		{"room", hub.BroadcastOptions{Rooms: []string{"a"}}, []int{0, 1}},
		{"union", hub.BroadcastOptions{Rooms: []string{"a", "b"}}, []int{0, 1, 2}},
		{"repeated room", hub.BroadcastOptions{Rooms: []string{"b", "b"}}, []int{1, 2}},
		{"missing room", hub.BroadcastOptions{Rooms: []string{"nope"}}, nil},
		{"except room", hub.BroadcastOptions{Except: []string{"a"}}, []int{2, 3}},
		{"room except room", hub.BroadcastOptions{Rooms: []string{"b"}, Except: []string{"a"}}, []int{2}},
		{"except id", hub.BroadcastOptions{Except: []string{id(3)}}, []int{0, 1, 2}},
		{"union except id", hub.BroadcastOptions{Rooms: []string{"a", "b"}, Except: []string{id(1)}}, []int{0, 2}},
		{"id", hub.BroadcastOptions{Rooms: []string{id(3)}}, []int{3}},
		{"id and its room", hub.BroadcastOptions{Rooms: []string{id(0), "a"}}, []int{0, 1}},
		{"id excepted", hub.BroadcastOptions{Rooms: []string{id(0)}, Except: []string{id(0)}}, nil},
		{"except everything", hub.BroadcastOptions{Except: []string{"a", "b", id(3)}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			a.Select(tc.opts, func(x *hub.Socket) { got = append(got, x.ID()) })
			var want []string
			for _, i := range tc.want {
				want = append(want, id(i))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("selected %q, want %q", got, want)
			}
		})
	}

	// A socket id selects only a socket the adapter knows.
	b := hub.NewMemoryAdapter(s[0].Namespace())
	n := 0
	b.Select(hub.BroadcastOptions{Rooms: []string{id(0)}}, func(*hub.Socket) { n++ })
	if n != 0 {
		t.Fatalf("adapter without members selected %d sockets", n)
	}
}

// TestMemoryAdapterSelectReentrant: fn runs without the adapter's lock, so
// it may change membership and select again.
func TestMemoryAdapterSelectReentrant(t *testing.T) {
	a, s := adapterFixture(t, 3)
	for _, x := range s {
		a.AddAll(x, []string{"a"})
	}
	n := 0
	a.Select(hub.BroadcastOptions{Rooms: []string{"a"}}, func(x *hub.Socket) {
		a.AddAll(x, []string{"b"})
		a.Del(x, "a")
		a.Select(hub.BroadcastOptions{Rooms: []string{"b"}}, func(*hub.Socket) { n++ })
	})
	if n != 1+2+3 {
		t.Fatalf("nested selections saw %d sockets, want 6", n)
	}
	if got := a.Rooms(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("rooms %q", got)
	}
}

// TestMemoryAdapterConcurrent is for -race: membership changes and
// selections from many goroutines.
func TestMemoryAdapterConcurrent(t *testing.T) {
	a, s := adapterFixture(t, 8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			x := s[g]
			for i := range 200 {
				room := fmt.Sprint("r", i%5)
				a.AddAll(x, []string{room, "all"})
				a.Select(hub.BroadcastOptions{Rooms: []string{room}, Except: []string{s[(g+1)%8].ID()}}, func(*hub.Socket) {})
				_ = a.SocketRooms(x)
				_ = a.Rooms()
				a.Del(x, room)
				if i%50 == 49 {
					a.DelAll(x)
				}
			}
			a.AddAll(x, []string{"all"})
		})
	}
	wg.Wait()
	n := 0
	a.Select(hub.BroadcastOptions{Rooms: []string{"all"}}, func(*hub.Socket) { n++ })
	if n != 8 {
		t.Fatalf("room all has %d sockets, want 8", n)
	}
}
