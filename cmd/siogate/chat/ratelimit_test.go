package chat

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	b := newBucket(2, 3) // 2 per second, 3 at once
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		if !b.allow(t0) {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	if b.allow(t0) {
		t.Fatal("event past the burst allowed")
	}
	if !b.allow(t0.Add(500 * time.Millisecond)) { // one token back
		t.Fatal("refill after 0.5 s refused")
	}
	if b.allow(t0.Add(500 * time.Millisecond)) {
		t.Fatal("second event after 0.5 s allowed")
	}
	// A long pause refills to the burst, no more.
	t1 := t0.Add(time.Hour)
	for i := range 3 {
		if !b.allow(t1) {
			t.Fatalf("event %d after a pause refused", i)
		}
	}
	if b.allow(t1) {
		t.Fatal("the bucket held more than its burst")
	}
	// A clock that goes back adds nothing.
	if b.allow(t0) {
		t.Fatal("a time in the past refilled the bucket")
	}
}
