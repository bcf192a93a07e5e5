package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/siogate/siogate/hub/siotest"
)

const (
	testSecret = "test-secret"
	testKey    = "test-api-key"
)

// The end-to-end tests build cmd/siogate once (with -race when this test
// binary has it, so the gateway's data races fail the tests too), run it on
// free 127.0.0.1 ports and drive it with the official socket.io-client
// (testdata/clients.mjs) and plain HTTP.

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// gatewayBinary builds cmd/siogate on first use.
func gatewayBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "siogate-test-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "siogate")
		buildErr = siotest.Build(buildBin, "github.com/siogate/siogate/cmd/siogate")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// cleanEnv is the test's environment without SIOGATE_* settings.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIOGATE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// proc is a running gateway process.
type proc struct {
	t      *testing.T
	addr   string
	base   string // http://addr
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	err    error // cmd.Wait's result, set before exited closes
	group  bool  // signals go to the process group (go run)
}

// startGateway runs the built binary on addr ("" for a free port) with
// flags and waits until /healthz answers.
func startGateway(t *testing.T, addr string, flags ...string) *proc {
	t.Helper()
	if addr == "" {
		addr = siotest.FreeAddr(t)
	}
	cmd := exec.Command(gatewayBinary(t), append([]string{"-addr", addr}, flags...)...)
	cmd.Env = cleanEnv()
	return startProc(t, cmd, addr, false)
}

func startProc(t *testing.T, cmd *exec.Cmd, addr string, group bool) *proc {
	t.Helper()
	p := &proc{t: t, addr: addr, base: "http://" + addr, cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{}), group: group}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if group {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(60 * time.Second) // go run may compile first
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if xerr := p.exitErr(); xerr != nil {
			t.Fatalf("gateway exited before serving: %v\n%s", xerr, p.out.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not serving on %s: %v\n%s", addr, err, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// exitErr reports why the process exited, or nil while it runs.
func (p *proc) exitErr() error {
	select {
	case <-p.exited:
		if p.err == nil {
			return errors.New("exit status 0")
		}
		return p.err
	default:
		return nil
	}
}

// signal sends sig to the process (or its group).
func (p *proc) signal(sig syscall.Signal) {
	pid := p.cmd.Process.Pid
	if p.group {
		pid = -pid
	}
	_ = syscall.Kill(pid, sig)
}

// wait waits up to d for the process to exit and returns cmd.Wait's result.
func (p *proc) wait(d time.Duration) (error, bool) {
	select {
	case <-p.exited:
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

// stop interrupts the process, kills it (by its pid) if it still runs
// after 10 s, and reports its output when the test failed or the race
// detector fired.
func (p *proc) stop() {
	select {
	case <-p.exited:
	default:
		p.signal(syscall.SIGINT)
		if _, ok := p.wait(10 * time.Second); !ok {
			p.t.Errorf("gateway (pid %d) still running 10 s after SIGINT: killed", p.cmd.Process.Pid)
			p.signal(syscall.SIGKILL)
			<-p.exited
		}
	}
	out := p.out.String()
	if strings.Contains(out, "WARNING: DATA RACE") {
		p.t.Errorf("the gateway reported a data race")
	}
	if p.t.Failed() {
		p.t.Logf("gateway output:\n%s", out)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// apiResult is an HTTP answer with its JSON body decoded.
type apiResult struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call sends an HTTP request: body is sent as is when it is a string or
// []byte, else as JSON; key "" sends no Authorization header.
func (p *proc) call(t *testing.T, method, path, key string, body any) apiResult {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResult{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// metrics scrapes /metrics and parses it with Prometheus' text parser.
func (p *proc) metrics(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: status %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return mfs
}

// metricValue sums the samples of family name whose labels include want
// (histograms: their sample counts); an absent family is 0.
func metricValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		return 0 // a vector with no child yet
	}
	sum := 0.0
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// waitMetric polls /metrics until metricValue(name, labels) is want (5 s
// at most) and returns the last value seen.
func (p *proc) waitMetric(t *testing.T, name string, labels map[string]string, want float64) float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := metricValue(t, p.metrics(t), name, labels)
		if v == want || time.Now().After(deadline) {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hsToken signs claims with HS256.
func hsToken(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// userToken is an HS256 token for user valid for an hour.
func userToken(t *testing.T, secret, user string) string {
	return hsToken(t, secret, jwt.MapClaims{"sub": user, "exp": time.Now().Add(time.Hour).Unix()})
}
