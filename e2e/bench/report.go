package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

// row is one line of the results table.
type row struct {
	figure, slipway, baseline, ratio, target, met string
}

func ratioText(r float64) string {
	if r == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// table renders every figure; a missed target says NO.
func (b *bench) table(suites []*platformSuite) string {
	var rows []row
	for _, s := range suites {
		if s.rtt > 0 {
			continue // section 7
		}
		l := fmt.Sprintf("%s, %d components", s.label, s.components)
		r := s.cold.Ratio(s.helmCold)
		rows = append(rows, row{"1. cold bootstrap: up vs helm upgrade --install --wait ×" + fmt.Sprint(s.components) + " (" + l + ")",
			s.cold.String(seconds), s.helmCold.String(seconds), ratioText(r), "≤ 0.35×", yesNo(r > 0 && r <= 0.35)})
		if len(s.helmAtOnce) > 0 {
			rows = append(rows, row{"1b. for reference, the floor: up vs the same helm commands all started at once, needs ignored (" + l + ")",
				s.cold.String(seconds), s.helmAtOnce.String(seconds), ratioText(s.cold.Ratio(s.helmAtOnce)), "—", "—"})
		}
		r = s.noop.Ratio(s.helmNoop)
		rows = append(rows, row{"2. no-op re-run (" + l + ")",
			s.noop.String(seconds), s.helmNoop.String(seconds), ratioText(r), "≤ 0.20× and ≤ 0.5 s", yesNo(r > 0 && r <= 0.2 && s.noop.Median() <= 0.5)})
		rows = append(rows, row{"3. slipway credentials, binary wall time (baseline: kubectl get secret of each) (" + s.label + ")",
			s.creds.String(seconds), s.kubectlCreds.String(seconds), ratioText(s.creds.Ratio(s.kubectlCreds)), "< 150 ms", yesNo(len(s.creds) > 0 && s.creds.Median() < 0.150)})
		rows = append(rows, row{"3b. slipway status (baseline: helm status of each release) (" + s.label + ")",
			s.status.String(seconds), s.helmStatus.String(seconds), ratioText(s.status.Ratio(s.helmStatus)), "—", "—"})
	}
	rows = append(rows,
		row{"4a. --help wall time (baseline: helm --help)", b.helpTime.String(seconds), b.helmHelpTime.String(seconds), ratioText(b.helpTime.Ratio(b.helmHelpTime)), "—", "—"},
		row{"4b. binary size (baseline: the helm CLI)", megabytes(b.size), megabytes(b.helmSize), ratioText(b.size / b.helmSize), "—", "—"})
	for _, s := range suites {
		rows = append(rows, row{"4c. peak RSS during cold up (baseline: largest helm process) (" + s.label + ")",
			s.rss.String(megabytes), s.helmRSS.String(megabytes), ratioText(s.rss.Ratio(s.helmRSS)), "≤ 150 MB (every run)", yesNo(len(s.rss) > 0 && s.rss.Max() <= 150e6)})
	}
	n := b.cfg.scaleN
	if !b.cfg.skipScale {
		r := b.scaleFlat.Ratio(b.scaleOne)
		rows = append(rows, row{fmt.Sprintf("5a. scale: %d independent components (depth 1) vs 1 component", n),
			b.scaleFlat.String(seconds), b.scaleOne.String(seconds), ratioText(r), "≤ 3× (not ×" + fmt.Sprint(n) + ")", yesNo(r > 0 && r <= 3)})
		r = b.scaleChain.Ratio(b.scaleFlat)
		rows = append(rows, row{fmt.Sprintf("5b. scale: %d chained components (depth %d) vs %d independent (depth 1)", n, n, n),
			b.scaleChain.String(seconds), b.scaleFlat.String(seconds), ratioText(r), "≥ 5× (time follows depth)", yesNo(r >= 5)})
	}
	for _, s := range suites {
		r := s.reqs.Ratio(s.helmReqs)
		rows = append(rows, row{"6a. API requests per cold up (baseline: all helm calls) (" + s.label + ")",
			s.reqs.String(count), s.helmReqs.String(count), ratioText(r), "≤ 1.00×", yesNo(r > 0 && r <= 1)})
	}
	rows = append(rows, remoteRows(suites)...)
	throttled, maxWait, reqs, logged := 0, time.Duration(0), 0, 0
	var runs []string
	for _, s := range suites {
		throttled += s.throttle.throttled
		maxWait = max(maxWait, s.throttle.maxWait)
		reqs += s.throttle.requests
		logged += s.throttleLogged
		runs = append(runs, s.label)
	}
	if !b.cfg.skipScale {
		throttled += b.scaleThrottle.throttled
		maxWait = max(maxWait, b.scaleThrottle.maxWait)
		reqs += b.scaleThrottle.requests
		runs = append(runs, fmt.Sprintf("%d independent components", n))
	}
	rows = append(rows, row{fmt.Sprintf("6b. client-side throttled waits > %s (in-process up: %s; QPS/burst from internal/kube)", throttledAfter, strings.Join(runs, ", ")),
		fmt.Sprintf("%d (longest wait %s, %d requests; %d binary runs logged throttling)", throttled, maxWait.Round(time.Microsecond), reqs, logged),
		"—", "—", "0", yesNo(throttled == 0 && logged == 0 && reqs > 0)})
	return renderTable(rows)
}

// remoteRows are section 7: the platform behind the proxy's added
// round-trip time, each figure against the manual way through the same
// delay; cold up is also held against the same profile's local cold up.
func remoteRows(suites []*platformSuite) []row {
	var rows []row
	for _, s := range suites {
		if s.rtt == 0 {
			continue
		}
		at := fmt.Sprintf("at %s RTT", s.rtt)
		l := fmt.Sprintf(" (%s, %d components)", s.label, s.components)
		r := s.status.Ratio(s.helmStatus)
		rows = append(rows, row{"7a. status " + at + " (baseline: helm status of each release)" + l,
			s.status.String(seconds), s.helmStatus.String(seconds), ratioText(r), "≤ 1.0 s", yesNo(len(s.status) > 0 && s.status.Median() <= 1.0)})
		r = s.noop.Ratio(s.helmNoop)
		rows = append(rows, row{"7b. no-op up " + at + " (baseline: helm upgrade --install --wait of each again)" + l,
			s.noop.String(seconds), s.helmNoop.String(seconds), ratioText(r), "≤ 1.0 s", yesNo(len(s.noop) > 0 && s.noop.Median() <= 1.0)})
		r = s.creds.Ratio(s.kubectlCreds)
		rows = append(rows, row{"7c. credentials " + at + " (baseline: kubectl get secret of each)" + l,
			s.creds.String(seconds), s.kubectlCreds.String(seconds), ratioText(r), "≤ 0.3 s", yesNo(len(s.creds) > 0 && s.creds.Median() <= 0.3)})
		target, met := "≤ local cold up + 5 s", "—"
		if local := localOf(suites, s); local != nil && len(local.cold) > 0 && len(s.cold) > 0 {
			limit := local.cold.Median() + 5
			target, met = fmt.Sprintf("≤ local + 5 s = %s", seconds(limit)), yesNo(s.cold.Median() <= limit)
		}
		rows = append(rows, row{"7d. cold up " + at + " (baseline: helm upgrade --install --wait of each)" + l,
			s.cold.String(seconds), s.helmCold.String(seconds), ratioText(s.cold.Ratio(s.helmCold)), target, met})
	}
	return rows
}

// localOf is the suite that measured s's profile without added delay.
func localOf(suites []*platformSuite, s *platformSuite) *platformSuite {
	for _, o := range suites {
		if o.rtt == 0 && o.profile == s.profile && o.mirror == s.mirror {
			return o
		}
	}
	return nil
}

func renderTable(rows []row) string {
	all := append([]row{{"figure", "slipway", "baseline", "ratio", "target", "met?"}}, rows...)
	w := make([]int, 6)
	cells := func(r row) []string { return []string{r.figure, r.slipway, r.baseline, r.ratio, r.target, r.met} }
	for _, r := range all {
		for i, c := range cells(r) {
			w[i] = max(w[i], len([]rune(c)))
		}
	}
	var sb strings.Builder
	line := func(cs []string) {
		for i, c := range cs {
			fmt.Fprintf(&sb, "| %s%s ", c, strings.Repeat(" ", w[i]-len([]rune(c))))
		}
		sb.WriteString("|\n")
	}
	line(cells(all[0]))
	var sep []string
	for i := range w {
		sep = append(sep, strings.Repeat("-", w[i]))
	}
	line(sep)
	for _, r := range all[1:] {
		line(cells(r))
	}
	return strings.TrimRight(sb.String(), "\n")
}

// notes are the details under the table: requests by verb.
func (b *bench) notes(suites []*platformSuite) string {
	var sb strings.Builder
	verbs := func(m map[string]int) string {
		var parts []string
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		}) {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
		return strings.Join(parts, ", ")
	}
	for _, s := range suites {
		fmt.Fprintf(&sb, "API requests of the last cold run, %s: slipway %s; helm %s.\n", s.label, verbs(s.verbs), verbs(s.helmVerbs))
		fmt.Fprintf(&sb, "API requests per command, %s: no-op up %s, status %s, credentials %s.\n", s.label, s.noopReqs.String(count), s.statusReqs.String(count), s.credsReqs.String(count))
	}
	return sb.String()
}

// environment describes the machine and versions of a run.
type environment struct {
	date                              time.Time
	cpus                              int
	cpuModel, memory                  string
	loadStart, loadEnd                string
	goVersion, kube, etcd, kwok, helm string
	slipwayRev, command               string
	took                              time.Duration
}

func machine(ctx context.Context, b *bench) *environment {
	e := &environment{date: time.Now().UTC(), cpus: runtime.NumCPU(), goVersion: runtime.Version(), loadStart: loadavg(), helm: b.cfg.helmVersion}
	e.cpuModel = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		var n float64
		fmt.Sscanf(kb, "%f", &n)
		e.memory = fmt.Sprintf("%.1f GiB", n/1024/1024)
	}
	if v, err := b.cluster.Client.Discovery().ServerVersion(); err == nil {
		e.kube = v.GitVersion
	}
	e.etcd = requireVersion("e2e/tools/etcd/go.mod", "go.etcd.io/etcd/server/v3")
	e.kwok = requireVersion("e2e/tools/kwok/go.mod", "sigs.k8s.io/kwok")
	if out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output(); err == nil {
		e.slipwayRev = strings.TrimSpace(string(out))
	}
	e.command = "make bench BENCH_FLAGS=-write"
	return e
}

func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func requireVersion(gomod, module string) string {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "?"
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(module) + `\s+(\S+)`).FindSubmatch(data)
	if m == nil {
		return "?"
	}
	return string(m[1])
}

const beginMarker, endMarker = "<!-- bench:begin -->", "<!-- bench:end -->"

// writeReport replaces the generated part of the report file (between the
// markers), keeping what people wrote around it, or creates the file.
func writeReport(path string, e *environment, table, notes string) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n_Generated by `make bench BENCH_FLAGS=-write`; edit outside the markers._\n\n", beginMarker)
	fmt.Fprintf(&sb, "Run of %s, reproduce with `%s` (took %s).\n\n", e.date.Format("2006-01-02 15:04 MST"), e.command, e.took.Round(time.Second))
	fmt.Fprintf(&sb, "- Machine: %d CPUs (%s), %s memory; load average %s at the start, %s at the end\n", e.cpus, e.cpuModel, e.memory, e.loadStart, e.loadEnd)
	fmt.Fprintf(&sb, "- Versions: slipway %s, %s, Kubernetes %s (kube-apiserver, controller manager, scheduler), etcd %s, kwok %s with pod/general (realistic) stages, Helm CLI %s built from the Go module proxy\n\n", e.slipwayRev, e.goVersion, e.kube, e.etcd, e.kwok, e.helm)
	sb.WriteString(table + "\n\n" + notes + endMarker + "\n")
	block := sb.String()

	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, beginMarker), strings.Index(text, endMarker)
	if i >= 0 && j > i {
		text = text[:i] + block + strings.TrimPrefix(text[j+len(endMarker):], "\n")
	} else {
		text = "# Benchmarks\n\n" + block + text
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
