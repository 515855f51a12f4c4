package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample holds CPU seconds used in the measured window.
type cpuSample struct {
	client          float64 // this process
	server          float64 // every thread of the server process
	coreBusy        float64 // the server's core, all processes
	coreTotal       float64
	clientCoreBusy  float64 // this process's core, all processes
	clientCoreTotal float64
}

type rawCPU = cpuSample

func readCPU(o options) rawCPU {
	var r rawCPU
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) == nil {
		r.client = float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
	}
	if o.serverPID > 0 {
		r.server = processCPUSeconds(o.serverPID)
	}
	if o.serverCPU >= 0 {
		r.coreBusy, r.coreTotal = coreSeconds(o.serverCPU)
	}
	if o.clientCPU >= 0 {
		r.clientCoreBusy, r.clientCoreTotal = coreSeconds(o.clientCPU)
	}
	return r
}

// processCPUSeconds sums the scheduler's run time of every thread: nanosecond resolution,
// where /proc/PID/stat counts 10 ms ticks.
func processCPUSeconds(pid int) float64 {
	tasks, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "schedstat"))
	if err != nil {
		return 0
	}
	var total float64
	for _, path := range tasks {
		text, err := os.ReadFile(path)
		if err != nil {
			continue // a thread that just ended
		}
		fields := strings.Fields(string(text))
		if len(fields) > 0 {
			ns, _ := strconv.ParseFloat(fields[0], 64)
			total += ns / 1e9
		}
	}
	return total
}

// coreSeconds reads the busy and total time of one core from /proc/stat (USER_HZ = 100).
func coreSeconds(cpu int) (busy, total float64) {
	text, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	prefix := "cpu" + strconv.Itoa(cpu) + " "
	for _, line := range strings.Split(string(text), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		fields := strings.Fields(line)[1:]
		for i, field := range fields {
			if i >= 8 { // guest time is already counted in user time
				break
			}
			ticks, _ := strconv.ParseFloat(field, 64)
			total += ticks / 100
			if i != 3 && i != 4 { // idle, iowait
				busy += ticks / 100
			}
		}
	}
	return busy, total
}

type windowSampler struct {
	done  chan struct{}
	first rawCPU
	last  rawCPU
	ended bool
}

// startWindowSampler reads the counters when the measured window opens and, when its end is
// known in advance, when it closes; finish() reads the end otherwise.
func startWindowSampler(o options, start time.Time, w *window) *windowSampler {
	s := &windowSampler{done: make(chan struct{})}
	timed := o.requests == 0
	go func() {
		defer close(s.done)
		time.Sleep(time.Until(start))
		s.first = readCPU(o)
		if timed {
			time.Sleep(time.Until(w.end))
			s.last = readCPU(o)
			s.ended = true
		}
	}()
	return s
}

func (s *windowSampler) finish(o options, w *window) {
	<-s.done
	if !s.ended {
		s.last = readCPU(o)
	}
	w.cpu = cpuSample{
		client:          s.last.client - s.first.client,
		server:          s.last.server - s.first.server,
		coreBusy:        s.last.coreBusy - s.first.coreBusy,
		coreTotal:       s.last.coreTotal - s.first.coreTotal,
		clientCoreBusy:  s.last.clientCoreBusy - s.first.clientCoreBusy,
		clientCoreTotal: s.last.clientCoreTotal - s.first.clientCoreTotal,
	}
}

// resetPeakRSS makes the kernel's high-water mark (VmHWM) start again from the current RSS.
func resetPeakRSS(pid int) {
	if pid > 0 {
		_ = os.WriteFile(filepath.Join("/proc", strconv.Itoa(pid), "clear_refs"), []byte("5"), 0)
	}
}

func peakRSSMiB(pid int) float64 {
	text, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(text), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// setTimerSlack asks for exact wake-ups on this thread (the default slack is 50 µs).
func setTimerSlack() {
	const prSetTimerSlack = 29
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
}
