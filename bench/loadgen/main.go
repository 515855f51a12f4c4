// Command loadgen sends AdmissionReview requests to one webhook endpoint the way the
// kube-apiserver does: HTTPS, HTTP/1.1 keep-alive, one request at a time per connection (no
// pipelining), and prints one JSON document with throughput, latency percentiles, errors and the
// CPU the server used in the measured window.
//
// Two modes:
//
//	closed  N connections, each sends its next request as soon as the last one is answered:
//	        the throughput at which the server saturates.
//	open    requests are scheduled at a fixed rate, whatever the answers do, and handed to the
//	        connection used last that is free (as Go's http.Transport reuses idle connections);
//	        latency runs from the scheduled instant, so a stalled server is not hidden by the
//	        client waiting for it (no coordinated omission).
//
// Every response is checked: status 200, and a body that is a valid AdmissionReview v1 whose
// response.uid is the request's (check=full: every response; check=bytes: the first one on each
// connection, then every body must equal the expected bytes byte for byte).
//
// It is written for the benchmark in this folder's parent and reads /proc: Linux only.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	url         string
	caFile      string
	bodyFile    string
	expectFile  string
	uid         string
	mode        string
	connections int
	rate        float64
	warmup      time.Duration
	duration    time.Duration
	requests    int
	timeout     time.Duration
	check       string
	serverPID   int
	serverCPU   int
	clientCPU   int
}

func parseOptions() options {
	var o options
	flag.StringVar(&o.url, "url", "", "https://127.0.0.1:PORT/validate?timeout=10s")
	flag.StringVar(&o.caFile, "ca", "", "PEM file of the CA that signed the server certificate")
	flag.StringVar(&o.bodyFile, "body", "", "file holding the AdmissionReview request body")
	flag.StringVar(&o.expectFile, "expect", "", "file holding the exact expected response body (optional)")
	flag.StringVar(&o.uid, "uid", "", "request.uid of the body, which every response must echo")
	flag.StringVar(&o.mode, "mode", "closed", "closed | open")
	flag.IntVar(&o.connections, "connections", 1, "keep-alive connections")
	flag.Float64Var(&o.rate, "rate", 0, "open mode: requests per second")
	flag.DurationVar(&o.warmup, "warmup", 0, "load sent before the measured window, not recorded")
	flag.DurationVar(&o.duration, "duration", time.Second, "measured window")
	flag.IntVar(&o.requests, "requests", 0, "closed mode: send exactly this many requests instead of a timed window")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request deadline (the apiserver's ?timeout=)")
	flag.StringVar(&o.check, "check", "bytes", "full | bytes")
	flag.IntVar(&o.serverPID, "server-pid", 0, "server process whose CPU time and peak RSS are read from /proc")
	flag.IntVar(&o.serverCPU, "server-cpu", -1, "core the server is pinned to, to measure other load on it")
	flag.IntVar(&o.clientCPU, "client-cpu", -1, "core this process is pinned to, likewise")
	flag.Parse()
	if o.url == "" || o.caFile == "" || o.bodyFile == "" || o.uid == "" {
		fail("loadgen: -url, -ca, -body and -uid are required")
	}
	if o.mode != "closed" && o.mode != "open" {
		fail("loadgen: -mode must be closed or open")
	}
	if o.mode == "open" && o.rate <= 0 {
		fail("loadgen: open mode needs -rate")
	}
	if o.connections < 1 {
		fail("loadgen: -connections must be at least 1")
	}
	if o.check != "full" && o.check != "bytes" {
		fail("loadgen: -check must be full or bytes")
	}
	return o
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}

// The request as the apiserver's Go client writes it, computed once.
func buildRequest(target *url.URL, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\n", target.RequestURI())
	fmt.Fprintf(&b, "Host: %s\r\n", target.Host)
	b.WriteString("User-Agent: kube-apiserver-admission\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	b.WriteString("Accept: application/json, */*\r\n")
	b.WriteString("Content-Type: application/json\r\n")
	b.WriteString("Accept-Encoding: gzip\r\n\r\n")
	b.Write(body)
	return b.Bytes()
}

type dialer struct {
	address string
	config  *tls.Config
	opened  atomic.Int64
}

type conn struct {
	tls    *tls.Conn
	reader *bufio.Reader
	body   []byte
	used   bool
}

func (d *dialer) dial() (*conn, error) {
	c, err := tls.Dial("tcp", d.address, d.config)
	if err != nil {
		return nil, err
	}
	d.opened.Add(1)
	return &conn{tls: c, reader: bufio.NewReaderSize(c, 64<<10)}, nil
}

type response struct {
	status    int
	body      []byte
	closeConn bool
}

var errMalformed = errors.New("malformed HTTP response")

// roundTrip writes one request and reads one response; the body stays valid until the next call.
func (c *conn) roundTrip(request []byte, deadline time.Time) (response, error) {
	var r response
	if err := c.tls.SetDeadline(deadline); err != nil {
		return r, err
	}
	if _, err := c.tls.Write(request); err != nil {
		return r, err
	}
	line, err := c.reader.ReadSlice('\n')
	if err != nil {
		return r, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return r, errMalformed
	}
	r.status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return r, errMalformed
	}
	length, chunked := -1, false
	for {
		line, err = c.reader.ReadSlice('\n')
		if err != nil {
			return r, err
		}
		if len(line) <= 2 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return r, errMalformed
		}
		name := line[:colon]
		value := bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("content-length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return r, errMalformed
			}
		case bytes.EqualFold(name, []byte("transfer-encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("connection")):
			r.closeConn = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		r.body, err = c.readChunked()
	case length >= 0:
		if cap(c.body) < length {
			c.body = make([]byte, length)
		}
		r.body = c.body[:length]
		_, err = io.ReadFull(c.reader, r.body)
	default:
		return r, errMalformed
	}
	return r, err
}

func (c *conn) readChunked() ([]byte, error) {
	c.body = c.body[:0]
	for {
		line, err := c.reader.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		sizeText := strings.TrimSpace(strings.SplitN(string(line), ";", 2)[0])
		size, err := strconv.ParseInt(sizeText, 16, 64)
		if err != nil {
			return nil, errMalformed
		}
		if size == 0 {
			for { // trailers, then the blank line
				line, err = c.reader.ReadSlice('\n')
				if err != nil {
					return nil, err
				}
				if len(line) <= 2 {
					return c.body, nil
				}
			}
		}
		start := len(c.body)
		c.body = slices.Grow(c.body, int(size))[:start+int(size)]
		if _, err := io.ReadFull(c.reader, c.body[start:]); err != nil {
			return nil, err
		}
		if _, err := c.reader.Discard(2); err != nil {
			return nil, err
		}
	}
}

type checker struct {
	uid      string
	full     bool
	expected []byte
	// In bytes mode without an expected file: the first valid body seen, which all must equal.
	reference atomic.Pointer[[]byte]
}

type admissionReview struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Response   *struct {
		UID       string  `json:"uid"`
		Allowed   *bool   `json:"allowed"`
		PatchType *string `json:"patchType"`
		Patch     []byte  `json:"patch"`
	} `json:"response"`
}

func (ch *checker) validate(body []byte) string {
	var review admissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return "not JSON: " + err.Error()
	}
	switch {
	case review.APIVersion != "admission.k8s.io/v1":
		return "apiVersion is " + strconv.Quote(review.APIVersion)
	case review.Kind != "AdmissionReview":
		return "kind is " + strconv.Quote(review.Kind)
	case review.Response == nil:
		return "no response"
	case review.Response.UID != ch.uid:
		return "response.uid is " + strconv.Quote(review.Response.UID) + ", not the request's"
	case review.Response.Allowed == nil:
		return "no response.allowed"
	}
	if review.Response.Patch != nil {
		var operations []map[string]any
		if review.Response.PatchType == nil || *review.Response.PatchType != "JSONPatch" {
			return "a patch without patchType JSONPatch"
		}
		if err := json.Unmarshal(review.Response.Patch, &operations); err != nil {
			return "the patch is no JSON Patch: " + err.Error()
		}
	}
	return ""
}

// check returns the kind of error, or "" for a good answer, and a detail for the first sample.
func (ch *checker) check(firstOnConn bool, r response) (string, string) {
	if r.status != 200 {
		return "status_" + strconv.Itoa(r.status), excerpt(r.body)
	}
	if ch.full || firstOnConn {
		if problem := ch.validate(r.body); problem != "" {
			return "invalid_review", problem + ": " + excerpt(r.body)
		}
	}
	want := ch.expected
	if want == nil {
		ref := ch.reference.Load()
		if ref == nil {
			copied := bytes.Clone(r.body)
			ch.reference.CompareAndSwap(nil, &copied)
			ref = ch.reference.Load()
		}
		want = *ref
	}
	if !bytes.Equal(r.body, want) {
		return "body_mismatch", excerpt(r.body)
	}
	return "", ""
}

func excerpt(body []byte) string {
	if len(body) > 300 {
		return string(body[:300]) + "…"
	}
	return string(body)
}

// tally is one goroutine's share of the results; merged at the end, so no locks on the hot path.
type tally struct {
	latencies []int64 // ns, measured window only
	service   []int64 // open mode: from the moment the request was written
	errors    map[string]int
	samples   map[string]string
	bytesIn   int64
}

func newTally() *tally {
	return &tally{errors: map[string]int{}, samples: map[string]string{}}
}

func (t *tally) fail(kind, detail string) {
	t.errors[kind]++
	if _, seen := t.samples[kind]; !seen {
		t.samples[kind] = detail
	}
}

type client struct {
	opts    options
	request []byte
	dialer  *dialer
	checker *checker
}

// exchange sends one request on *cp, reconnecting first when needed; records errors in t.
func (cl *client) exchange(cp **conn, t *tally, record bool) bool {
	if *cp == nil {
		c, err := cl.dialer.dial()
		if err != nil {
			if record {
				t.fail("connect", err.Error())
			}
			return false
		}
		*cp = c
	}
	c := *cp
	r, err := c.roundTrip(cl.request, time.Now().Add(cl.opts.timeout))
	first := !c.used
	c.used = true
	if err != nil {
		c.tls.Close()
		*cp = nil
		if record {
			kind := "connection"
			var netErr interface{ Timeout() bool }
			if errors.As(err, &netErr) && netErr.Timeout() {
				kind = "timeout"
			}
			t.fail(kind, err.Error())
		}
		return false
	}
	if r.closeConn {
		c.tls.Close()
		*cp = nil
	}
	kind, detail := cl.checker.check(first, r)
	if record {
		t.bytesIn += int64(len(r.body))
		if kind != "" {
			t.fail(kind, detail)
			return false
		}
	}
	return kind == ""
}

type window struct {
	start, end time.Time
	cpu        cpuSample
}

func (cl *client) runClosed() ([]*tally, window) {
	n := cl.opts.connections
	conns := cl.connect(n)
	tallies := make([]*tally, n)
	var w window
	var wg sync.WaitGroup
	var issued atomic.Int64
	limit := int64(cl.opts.requests)

	begin := time.Now()
	w.start = begin.Add(cl.opts.warmup)
	w.end = w.start.Add(cl.opts.duration)
	if limit > 0 {
		w.start = begin
	}
	marks := startWindowSampler(cl.opts, w.start, &w)
	for i := range n {
		tallies[i] = newTally()
		wg.Add(1)
		go func(t *tally, c *conn) {
			defer wg.Done()
			for {
				if limit > 0 {
					if issued.Add(1) > limit {
						break
					}
				} else if !time.Now().Before(w.end) {
					break
				}
				sent := time.Now()
				ok := cl.exchange(&c, t, true)
				done := time.Now()
				measured := limit > 0 || (!sent.Before(w.start) && done.Before(w.end))
				if !measured {
					// Errors outside the window still count: an error is never acceptable.
					continue
				}
				if ok {
					t.latencies = append(t.latencies, done.Sub(sent).Nanoseconds())
				}
			}
			if c != nil {
				c.tls.Close()
			}
		}(tallies[i], conns[i])
	}
	wg.Wait()
	if limit > 0 {
		w.end = time.Now()
	}
	marks.finish(cl.opts, &w)
	return tallies, w
}

type job struct {
	at       time.Time
	measured bool
}

type worker struct {
	conn  *conn
	jobs  chan job
	tally *tally
}

// pool hands each scheduled request to the most recently freed connection, or queues it.
type pool struct {
	mu      sync.Mutex
	idle    []*worker
	pending []job
	queued  int
	wg      sync.WaitGroup
}

func (cl *client) runOpen() ([]*tally, window, int, int) {
	n := cl.opts.connections
	conns := cl.connect(n)
	p := &pool{}
	workers := make([]*worker, n)
	tallies := make([]*tally, n)
	for i := range n {
		workers[i] = &worker{conn: conns[i], jobs: make(chan job, 1), tally: newTally()}
		tallies[i] = workers[i].tally
		p.idle = append(p.idle, workers[i])
		go cl.serve(p, workers[i])
	}

	var w window
	begin := time.Now().Add(10 * time.Millisecond)
	w.start = begin.Add(cl.opts.warmup)
	w.end = w.start.Add(cl.opts.duration)
	marks := startWindowSampler(cl.opts, w.start, &w)
	interval := float64(time.Second) / cl.opts.rate

	dispatched := make(chan struct{})
	late := 0
	go func() {
		// A goroutine sleeping in the runtime wakes on a 1 ms grid; nanosleep on a thread of its
		// own keeps the schedule to tens of microseconds.
		runtime.LockOSThread()
		setTimerSlack()
		for i := 0; ; i++ {
			at := begin.Add(time.Duration(float64(i) * interval))
			if !at.Before(w.end) {
				break
			}
			if wait := time.Until(at); wait > 0 {
				ts := syscall.NsecToTimespec(wait.Nanoseconds())
				_ = syscall.Nanosleep(&ts, nil)
			} else if -wait > time.Millisecond && !at.Before(w.start) {
				late++
			}
			p.wg.Add(1)
			p.dispatch(job{at: at, measured: !at.Before(w.start)})
		}
		close(dispatched)
	}()
	<-dispatched
	finished := make(chan struct{})
	go func() { p.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(cl.opts.timeout + time.Second):
		p.mu.Lock()
		tallies[0].errors["not_answered"] += len(p.pending) + (n - len(p.idle))
		p.mu.Unlock()
	}
	marks.finish(cl.opts, &w)
	return tallies, w, p.queued, late
}

func (p *pool) dispatch(j job) {
	p.mu.Lock()
	if k := len(p.idle); k > 0 {
		w := p.idle[k-1]
		p.idle = p.idle[:k-1]
		p.mu.Unlock()
		w.jobs <- j
		return
	}
	p.pending = append(p.pending, j)
	if j.measured {
		p.queued++
	}
	p.mu.Unlock()
}

func (cl *client) serve(p *pool, w *worker) {
	for j := range w.jobs {
		for {
			cl.runJob(w, j)
			p.wg.Done()
			p.mu.Lock()
			if len(p.pending) > 0 {
				j = p.pending[0]
				p.pending = p.pending[1:]
				p.mu.Unlock()
				continue
			}
			p.idle = append(p.idle, w)
			p.mu.Unlock()
			break
		}
	}
}

func (cl *client) runJob(w *worker, j job) {
	sent := time.Now()
	ok := cl.exchange(&w.conn, w.tally, true)
	if !ok || !j.measured {
		return
	}
	done := time.Now()
	t := w.tally
	t.latencies = append(t.latencies, done.Sub(j.at).Nanoseconds())
	t.service = append(t.service, done.Sub(sent).Nanoseconds())
}

// connect opens n connections up front, so that handshakes fall outside every measurement.
func (cl *client) connect(n int) []*conn {
	conns := make([]*conn, n)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := cl.dialer.dial()
			if err != nil {
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if message := firstErr.Load(); message != nil {
		fail("loadgen: cannot connect: " + message.(string))
	}
	return conns
}

type latencySummary struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func summarize(samples []int64) *latencySummary {
	if len(samples) == 0 {
		return nil
	}
	sort.Slice(samples, func(a, b int) bool { return samples[a] < samples[b] })
	rank := func(q float64) float64 {
		i := int(float64(len(samples))*q+0.999999) - 1
		i = max(0, min(i, len(samples)-1))
		return float64(samples[i]) / 1e6
	}
	var sum float64
	for _, s := range samples {
		sum += float64(s)
	}
	return &latencySummary{
		P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), P999: rank(0.999),
		Max: float64(samples[len(samples)-1]) / 1e6, Mean: sum / float64(len(samples)) / 1e6,
	}
}

type report struct {
	Mode             string            `json:"mode"`
	Connections      int               `json:"connections"`
	Rate             float64           `json:"rate,omitempty"`
	WindowSeconds    float64           `json:"windowSeconds"`
	Completed        int               `json:"completed"`
	Throughput       float64           `json:"throughput"`
	Errors           int               `json:"errors"`
	ErrorKinds       map[string]int    `json:"errorKinds"`
	ErrorSamples     map[string]string `json:"errorSamples"`
	LatencyMs        *latencySummary   `json:"latencyMs"`
	ServiceLatencyMs *latencySummary   `json:"serviceLatencyMs,omitempty"`
	// Open mode: requests the client itself handed out more than 1 ms after their scheduled
	// instant (its own lateness: a busy client core), and requests that waited for a free
	// connection because all were busy (the server's queue).
	LateSends         int     `json:"lateSends"`
	QueuedForConn     int     `json:"queuedForConnection"`
	ConnectionsOpened int64   `json:"connectionsOpened"`
	ResponseBytes     int     `json:"responseBytes"`
	TLS               string  `json:"tls"`
	ClientCPU         float64 `json:"clientCpu"`
	// Busy share of this process's core taken by other processes (the benchmark's own included).
	ClientOtherLoad float64      `json:"clientOtherLoad,omitempty"`
	Server          *serverUsage `json:"server,omitempty"`
}

type serverUsage struct {
	// CPU time of all the server's threads in the window, per second of window (1 = one core).
	CPU float64 `json:"cpu"`
	// CPU time per completed request, in microseconds.
	CPUMicrosPerRequest float64 `json:"cpuMicrosPerRequest"`
	// Busy share of the server's core taken by processes other than the server.
	OtherLoadOnCore float64 `json:"otherLoadOnCore,omitempty"`
	// Peak resident set size during the run (warm-up included), MiB.
	PeakRSSMiB float64 `json:"peakRssMiB"`
}

func main() {
	debug.SetGCPercent(400)
	opts := parseOptions()
	target, err := url.Parse(opts.url)
	if err != nil || target.Scheme != "https" {
		fail("loadgen: -url must be an https URL")
	}
	body, err := os.ReadFile(opts.bodyFile)
	if err != nil {
		fail("loadgen: " + err.Error())
	}
	caPEM, err := os.ReadFile(opts.caFile)
	if err != nil {
		fail("loadgen: " + err.Error())
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		fail("loadgen: no certificate in " + opts.caFile)
	}
	ch := &checker{uid: opts.uid, full: opts.check == "full"}
	if opts.expectFile != "" {
		if ch.expected, err = os.ReadFile(opts.expectFile); err != nil {
			fail("loadgen: " + err.Error())
		}
	}
	cl := &client{
		opts:    opts,
		request: buildRequest(target, body),
		dialer: &dialer{address: target.Host, config: &tls.Config{
			RootCAs:    roots,
			ServerName: target.Hostname(),
			NextProtos: []string{"http/1.1"},
			MinVersion: tls.VersionTLS12,
		}},
		checker: ch,
	}
	tlsInfo := probeTLS(cl)
	resetPeakRSS(opts.serverPID)

	var tallies []*tally
	var w window
	queued, late := 0, 0
	if opts.mode == "closed" {
		tallies, w = cl.runClosed()
	} else {
		tallies, w, queued, late = cl.runOpen()
	}

	out := report{
		Mode: opts.mode, Connections: opts.connections, Rate: opts.rate,
		ErrorKinds: map[string]int{}, ErrorSamples: map[string]string{},
		QueuedForConn: queued, LateSends: late, ConnectionsOpened: cl.dialer.opened.Load(), TLS: tlsInfo,
	}
	var latencies, service []int64
	var bytesIn int64
	for _, t := range tallies {
		latencies = append(latencies, t.latencies...)
		service = append(service, t.service...)
		bytesIn += t.bytesIn
		for kind, count := range t.errors {
			out.ErrorKinds[kind] += count
			out.Errors += count
		}
		for kind, sample := range t.samples {
			out.ErrorSamples[kind] = sample
		}
	}
	seconds := w.end.Sub(w.start).Seconds()
	out.WindowSeconds = seconds
	out.Completed = len(latencies)
	out.Throughput = float64(len(latencies)) / seconds
	if answered := len(latencies) + out.Errors; answered > 0 {
		out.ResponseBytes = int(bytesIn / int64(answered))
	}
	out.LatencyMs = summarize(latencies)
	out.ServiceLatencyMs = summarize(service)
	out.ClientCPU = w.cpu.client / seconds
	if w.cpu.clientCoreTotal > 0 {
		out.ClientOtherLoad = max(0, (w.cpu.clientCoreBusy-w.cpu.client)/w.cpu.clientCoreTotal)
	}
	if opts.serverPID > 0 {
		s := &serverUsage{CPU: w.cpu.server / seconds, PeakRSSMiB: peakRSSMiB(opts.serverPID)}
		if out.Completed > 0 {
			s.CPUMicrosPerRequest = w.cpu.server * 1e6 / float64(out.Completed)
		}
		if w.cpu.coreTotal > 0 {
			s.OtherLoadOnCore = max(0, (w.cpu.coreBusy-w.cpu.server)/w.cpu.coreTotal)
		}
		out.Server = s
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(out); err != nil {
		fail("loadgen: " + err.Error())
	}
}

// probeTLS opens one connection to learn the negotiated protocol, so that a run which cannot
// connect fails before it starts.
func probeTLS(cl *client) string {
	c, err := cl.dialer.dial()
	if err != nil {
		fail("loadgen: cannot connect: " + err.Error())
	}
	defer c.tls.Close()
	cl.dialer.opened.Add(-1)
	state := c.tls.ConnectionState()
	return tls.VersionName(state.Version) + " " + tls.CipherSuiteName(state.CipherSuite)
}
