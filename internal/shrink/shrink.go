// Package shrink gives back the memory of a Go map after a peak. A map
// never shrinks by itself: one that held a million sessions during a
// reconnect storm keeps the table it grew for after they are all gone. The
// registries of the poller, Engine.IO and Socket.IO layers delete through
// Delete, which rebuilds a map once it has emptied to a quarter of its peak.
package shrink

import "maps"

// MinPeak is the smallest peak a map is rebuilt after: smaller maps fit in
// one or two groups of slots, and rebuilding them would buy nothing.
const MinPeak = 16

// Peak is the most entries a map has held since it was made or last
// rebuilt. The zero value is ready; it is guarded by whatever guards the map.
type Peak struct{ n int }

// Grew records the map's length after an insert.
func (p *Peak) Grew(n int) {
	if n > p.n {
		p.n = n
	}
}

// Delete deletes k from *m, and replaces *m by a copy sized for what is left
// once fewer than a quarter of its peak remain (and the peak was at least
// MinPeak). A rebuild copies at most a quarter of the peak after at least
// three quarters of it were deleted, so a delete costs O(1) amortized.
func Delete[M ~map[K]V, K comparable, V any](m *M, p *Peak, k K) {
	delete(*m, k)
	if p.n < MinPeak || len(*m) >= p.n/4 {
		return
	}
	fresh := make(M, len(*m))
	maps.Copy(fresh, *m)
	*m = fresh
	p.n = len(fresh)
}
