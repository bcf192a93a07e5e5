package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat. The kernel
// reports them in USER_HZ, which is 100 on every Linux ABI Go supports.
const userHZ = 100

// procSample is what /proc tells about a process at one instant.
type procSample struct {
	RSS      int64 // VmRSS, bytes
	RSSAnon  int64 // RssAnon, bytes: RSS without file-backed pages (the binary)
	CPUTicks int64 // utime + stime, in 1/userHZ seconds
}

// readProc samples pid.
func readProc(pid int) (procSample, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procSample{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procSample{}, err
	}
	var s procSample
	if s.RSS, err = statusKB(status, "VmRSS"); err != nil {
		return procSample{}, err
	}
	if s.RSSAnon, err = statusKB(status, "RssAnon"); err != nil {
		return procSample{}, err
	}
	if s.CPUTicks, err = statCPUTicks(stat); err != nil {
		return procSample{}, err
	}
	return s, nil
}

// countFDs returns the number of open file descriptors of pid.
func countFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

// statusKB returns the value in bytes of a "Key:   123 kB" line of
// /proc/<pid>/status.
func statusKB(status []byte, key string) (int64, error) {
	for line := range bytes.Lines(status) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || string(k) != key {
			continue
		}
		f := bytes.Fields(v)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("status: %s: unexpected %q", key, bytes.TrimSpace(v))
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status: %s: %w", key, err)
		}
		return n * 1024, nil
	}
	return 0, fmt.Errorf("status: no %s line", key)
}

// statCPUTicks returns utime + stime from /proc/<pid>/stat. The command
// name (field 2) is in parentheses and may hold spaces and ')', so fields
// are counted from the last ')': utime and stime are fields 14 and 15.
func statCPUTicks(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no ')' in %q", stat)
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the name, want >= 13", len(f))
	}
	var sum int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %w", err)
		}
		sum += n
	}
	return sum, nil
}
