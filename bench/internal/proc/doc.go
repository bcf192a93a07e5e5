// Package proc runs and observes the processes of a benchmark: child
// processes with their stdout as lines and the tail of their stderr, and
// samples of /proc (RSS, CPU time, open descriptors, machine-wide CPU).
// Linux only for the samples; the children work anywhere os/exec does.
package proc
