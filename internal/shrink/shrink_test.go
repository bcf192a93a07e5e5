package shrink

import (
	"runtime"
	"testing"
)

func TestDeleteRebuildsAfterPeak(t *testing.T) {
	m := map[int]string{}
	var p Peak
	for i := range 1000 {
		m[i] = "v"
		p.Grew(len(m))
	}
	before := m
	for i := range 750 {
		Delete(&m, &p, i)
	}
	// 250 left: exactly a quarter, not under it.
	if len(m) != 250 || p.n != 1000 {
		t.Fatalf("len %d, peak %d", len(m), p.n)
	}
	Delete(&m, &p, 750)
	if len(m) != 249 || p.n != 249 {
		t.Fatalf("after the rebuild: len %d, peak %d, want 249 and 249", len(m), p.n)
	}
	if len(before) != 249 {
		// The old map was emptied in place before the copy was taken.
		t.Fatalf("old map holds %d", len(before))
	}
	for i := 751; i < 1000; i++ {
		if m[i] != "v" {
			t.Fatalf("entry %d lost in the rebuild", i)
		}
	}
	// Deleting a missing key changes nothing.
	Delete(&m, &p, -1)
	if len(m) != 249 {
		t.Fatalf("len %d", len(m))
	}
}

func TestDeleteSmallMapKept(t *testing.T) {
	m := map[int]int{}
	var p Peak
	for i := range MinPeak - 1 {
		m[i] = i
		p.Grew(len(m))
	}
	for i := range MinPeak - 2 {
		Delete(&m, &p, i)
	}
	if p.n != MinPeak-1 || len(m) != 1 {
		t.Fatalf("a map under MinPeak was rebuilt: peak %d, len %d", p.n, len(m))
	}
}

// TestDeleteGivesMemoryBack: a map that held 100,000 entries and is emptied
// through Delete leaves far less live heap than one emptied with delete.
func TestDeleteGivesMemoryBack(t *testing.T) {
	live := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	fill := func() (map[int64]*int, *Peak) {
		m := map[int64]*int{}
		var p Peak
		for i := range int64(100_000) {
			m[i] = nil
			p.Grew(len(m))
		}
		return m, &p
	}
	base := live()
	plain, _ := fill()
	for k := range plain {
		delete(plain, k)
	}
	kept := live() - base
	runtime.KeepAlive(plain)
	plain = nil

	base = live()
	m, p := fill()
	for k := range int64(100_000) {
		Delete(&m, p, k)
	}
	given := int64(live()) - int64(base)
	runtime.KeepAlive(m)
	if kept < 1<<20 || given > int64(kept/20) {
		t.Fatalf("emptied with delete: %d B live; through Delete: %d B", kept, given)
	}
	_ = plain
}
