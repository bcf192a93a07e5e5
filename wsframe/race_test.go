//go:build race

package wsframe

// raceEnabled: the race detector adds allocations, so the zero-alloc checks skip.
const raceEnabled = true
