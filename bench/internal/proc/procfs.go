package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// UserHZ is the unit of the CPU times in /proc: USER_HZ, which is 100 on
// every Linux ABI Go supports.
const UserHZ = 100

// Sample is what /proc tells about a process at one instant.
type Sample struct {
	RSS      int64 // VmRSS, bytes
	RSSAnon  int64 // RssAnon, bytes: RSS without file-backed pages (the binary)
	CPUTicks int64 // utime + stime, in 1/UserHZ seconds
}

// Read samples pid.
func Read(pid int) (Sample, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Sample{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Sample{}, err
	}
	var s Sample
	if s.RSS, err = statusKB(status, "VmRSS"); err != nil {
		return Sample{}, err
	}
	if s.RSSAnon, err = statusKB(status, "RssAnon"); err != nil {
		return Sample{}, err
	}
	if s.CPUTicks, err = statCPUTicks(stat); err != nil {
		return Sample{}, err
	}
	return s, nil
}

// CountFDs returns the number of open file descriptors of pid.
func CountFDs(pid int) (int, error) {
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

// Machine is the machine-wide CPU time from /proc/stat, in ticks summed
// over all CPUs.
type Machine struct {
	Busy  int64 // user, nice, system, irq, softirq, steal
	Total int64 // Busy + idle + iowait
}

// ReadMachine samples /proc/stat.
func ReadMachine() (Machine, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Machine{}, err
	}
	return parseMachine(b)
}

// parseMachine reads the aggregate "cpu" line of /proc/stat.
func parseMachine(b []byte) (Machine, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 8 || string(f[0]) != "cpu" {
		return Machine{}, fmt.Errorf("/proc/stat: first line %q", line)
	}
	var v [8]int64
	for i := 1; i < 9 && i < len(f); i++ {
		n, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return Machine{}, fmt.Errorf("/proc/stat: %w", err)
		}
		v[i-1] = n
	}
	// user nice system idle iowait irq softirq steal
	m := Machine{Busy: v[0] + v[1] + v[2] + v[5] + v[6] + v[7]}
	m.Total = m.Busy + v[3] + v[4]
	return m, nil
}
