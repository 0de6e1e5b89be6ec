package main

// cpu.go: server CPU time from /proc, sampled before and after each window,
// so results can say how much CPU one successful op costs the server (and
// its database), which throughput alone hides when the box is not saturated.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. Linux
// exposes 100 to user space on every mainstream architecture, and reading it
// properly (sysconf) would need cgo.
const clockTicks = 100

// cpuSnapshot maps pid → utime+stime in clock ticks.
type cpuSnapshot map[int]uint64

type cpuSampler struct {
	pids    []int
	pattern string
	// exclude holds the bench and its ancestors: their command lines contain
	// the pattern too (it is one of our arguments; `go run` and shells).
	exclude map[int]bool
}

func newCPUSampler(pids []int, pattern string) (*cpuSampler, error) {
	if len(pids) == 0 && pattern == "" {
		return nil, nil
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, fmt.Errorf("CPU sampling needs Linux /proc: %v", err)
	}
	for _, pid := range pids {
		if _, err := readTicks(pid); err != nil {
			return nil, fmt.Errorf("-pid %d: %v", pid, err)
		}
	}
	s := &cpuSampler{pids: pids, pattern: pattern, exclude: map[int]bool{}}
	for pid := os.Getpid(); pid > 1 && !s.exclude[pid]; {
		s.exclude[pid] = true
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			break
		}
		_, ppid, err := parseStat(string(data))
		if err != nil {
			break
		}
		pid = ppid
	}
	if pattern != "" && len(s.matching()) == 0 {
		return nil, fmt.Errorf("-pid-pattern %q matches no process", pattern)
	}
	return s, nil
}

// parseStat reads utime+stime and the parent pid from a /proc/<pid>/stat
// line. The command name (field 2) is in parentheses and may itself contain
// spaces and parentheses, so fields are counted from the last ')'.
func parseStat(line string) (ticks uint64, ppid int, err error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed stat line")
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("stat line has %d fields after the command", len(f))
	}
	if ppid, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, err
	}
	ut, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, 0, err
	}
	st, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, 0, err
	}
	return ut + st, ppid, nil
}

func readTicks(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	t, _, err := parseStat(string(data))
	return t, err
}

// matching lists the pids whose command line contains the pattern. It is
// re-read at every sample because e.g. PostgreSQL starts a backend process
// per connection.
func (s *cpuSampler) matching() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || s.exclude[pid] {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(cmd) == 0 {
			continue // gone, or a kernel thread
		}
		if strings.Contains(strings.ReplaceAll(string(cmd), "\x00", " "), s.pattern) {
			out = append(out, pid)
		}
	}
	return out
}

func (s *cpuSampler) sample() cpuSnapshot {
	snap := cpuSnapshot{}
	for _, pid := range s.pids {
		if t, err := readTicks(pid); err == nil {
			snap[pid] = t
		}
	}
	if s.pattern != "" {
		for _, pid := range s.matching() {
			if _, done := snap[pid]; done {
				continue
			}
			if t, err := readTicks(pid); err == nil {
				snap[pid] = t
			}
		}
	}
	return snap
}

// cpuDelta is the CPU spent between two snapshots. A pid seen only after
// (or whose counter went down: a reused pid) started during the window, so
// all of its time counts. A process that exited during the window is lost;
// a short window keeps that rare.
func cpuDelta(before, after cpuSnapshot) uint64 {
	var d uint64
	for pid, a := range after {
		if b, ok := before[pid]; ok && a >= b {
			d += a - b
		} else {
			d += a
		}
	}
	return d
}

func ticksToMs(t uint64) float64 { return float64(t) * 1000 / clockTicks }

// selfTicks is the bench's own CPU, reported to spot a client-bound run.
func selfTicks() uint64 {
	t, _ := readTicks(os.Getpid())
	return t
}
