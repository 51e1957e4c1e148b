package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/e2e/chartsrv"
	"github.com/slipway-dev/slipway/e2e/sim"
	"github.com/slipway-dev/slipway/internal/app"
	"github.com/slipway-dev/slipway/internal/kube"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/profiles"
)

// fixtureVersions are the versions the fixture charts are published at
// (as in the e2e suite, so that constraints resolve the same way).
var fixtureVersions = []string{"0.9.0", "1.0.0", "1.2.0", "1.2.3", "2.0.0"}

// bench holds what every measurement needs.
type bench struct {
	cfg     config
	work    string // temporary directory: profiles, values, caches
	cluster *sim.Cluster
	repo    *chartsrv.HTTPRepo
	proxy   *countingProxy
	kc      string // kubeconfig through the proxy

	helpTime, helmHelpTime Sample
	size, helmSize         float64
	scaleOne, scaleFlat    Sample
	scaleChain             Sample
	scaleThrottle          throttleStats
}

func newBench(ctx context.Context, c config) (_ *bench, err error) {
	b := &bench{cfg: c}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	if b.work, err = os.MkdirTemp("", "slipway-bench-"); err != nil {
		return nil, err
	}
	logf("starting the hermetic cluster with realistic pod timing")
	if b.cluster, err = sim.Start(ctx, sim.Options{Timing: sim.Realistic, Log: os.Stderr}); err != nil {
		return nil, fmt.Errorf("hermetic cluster: %w", err)
	}
	chartDir := filepath.Join(b.work, "charts")
	if err := os.Mkdir(chartDir, 0o700); err != nil {
		return nil, err
	}
	if _, err := chartsrv.Package("e2e/testdata/charts", fixtureVersions, chartDir); err != nil {
		return nil, err
	}
	if b.repo, err = chartsrv.NewHTTPRepo(chartDir); err != nil {
		return nil, err
	}
	if b.proxy, err = startProxy(b.cluster.Config); err != nil {
		return nil, err
	}
	b.kc = filepath.Join(b.work, "kubeconfig")
	if err := b.proxy.writeKubeconfig(b.kc); err != nil {
		return nil, err
	}
	return b, nil
}

// close stops everything newBench started, in reverse order.
func (b *bench) close() {
	if b.proxy != nil {
		b.proxy.close()
	}
	if b.repo != nil {
		b.repo.Close()
	}
	if b.cluster != nil {
		b.cluster.Stop()
	}
	if b.work != "" && !b.cfg.keep {
		os.RemoveAll(b.work)
	} else if b.work != "" {
		logf("work directory kept: %s", b.work)
	}
}

func (b *bench) dir(name string) (string, error) {
	d := filepath.Join(b.work, name)
	return d, os.MkdirAll(d, 0o700)
}

// overhead measures what does not need the cluster: --help and sizes.
func (b *bench) overhead(ctx context.Context) error {
	for _, p := range []struct {
		bin  string
		s    *Sample
		size *float64
	}{{b.cfg.slipway, &b.helpTime, &b.size}, {b.cfg.helm, &b.helmHelpTime, &b.helmSize}} {
		fi, err := os.Stat(p.bin)
		if err != nil {
			return err
		}
		*p.size = float64(fi.Size())
		// One untimed run first: the page cache, not the tool, would
		// otherwise dominate the first sample.
		if _, err := timed(ctx, nil, p.bin, "--help"); err != nil {
			return err
		}
		for range b.cfg.runs {
			r, err := timed(ctx, nil, p.bin, "--help")
			if err != nil {
				return err
			}
			p.s.Seconds(r.wall)
		}
	}
	return nil
}

// platformSuite is one profile measured against the manual way.
type platformSuite struct {
	label   string // figure label
	profile string // --profile
	mirror  string // --chart-mirror
	needs   map[string][]string
	// rtt is the round-trip time the proxy adds while the suite runs
	// (0: the local cluster as it is).
	rtt time.Duration

	cold, noop, creds  Sample
	status             Sample // slipway status
	helmCold, helmNoop Sample
	helmAtOnce         Sample // every helm install at once (local only): the floor, for reference
	helmStatus         Sample // helm status of each release, one after the other
	kubectlCreds       Sample // kubectl get secret of each credentials Secret
	// API requests of the no-op up, credentials and status runs.
	noopReqs, credsReqs, statusReqs Sample
	rss, helmRSS                    Sample
	reqs, helmReqs                  Sample
	verbs, helmVerbs                map[string]int // of the last run
	throttleLogged                  int            // runs whose stderr had client-go's throttling message
	throttle                        throttleStats  // the in-process run
	components                      int
}

// suites are the platform suites of one run: every profile at every
// round-trip time of -rtt, the local ones first.
func (b *bench) suites() ([]*platformSuite, error) {
	var out []*platformSuite
	for _, rtt := range b.cfg.rtts {
		fixture, err := b.fixtureSuite()
		if err != nil {
			return nil, err
		}
		set := []*platformSuite{fixture}
		if m := os.Getenv("E2E_CHART_MIRROR"); m != "" {
			set = append(set, b.mirrorSuite(m))
			if b.cfg.skipFixture {
				set = set[1:]
			}
		}
		for _, s := range set {
			s.rtt = rtt
			if rtt > 0 {
				s.label += fmt.Sprintf(", %s RTT", rtt)
			}
		}
		out = append(out, set...)
	}
	return out, nil
}

func (b *bench) fixtureSuite() (*platformSuite, error) {
	data, err := os.ReadFile("e2e/testdata/profiles/fixture.yaml")
	if err != nil {
		return nil, err
	}
	// Like the e2e suite: NS- prefixes the namespaces and the ingress
	// class, so nothing collides with other runs on a shared cluster.
	path := filepath.Join(b.work, "fixture.yaml")
	if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte("NS-"), []byte("bench-")), 0o600); err != nil {
		return nil, err
	}
	s := &platformSuite{label: "fixture profile", profile: path, mirror: b.repo.URL()}
	return s, s.loadNeeds()
}

func (b *bench) mirrorSuite(mirror string) *platformSuite {
	return &platformSuite{label: "default profile (E2E_CHART_MIRROR)", profile: "default", mirror: mirror}
}

// loadNeeds reads the needs graph (after group choices), which orders the
// baseline's installs.
func (s *platformSuite) loadNeeds() error {
	p, err := profile.NewCatalog(profiles.FS).Resolve(s.profile)
	if err != nil {
		return err
	}
	if p, err = profile.Select(p, nil, nil); err != nil {
		return err
	}
	s.needs = map[string][]string{}
	for _, c := range p.Components {
		s.needs[c.Name] = c.Needs
	}
	return nil
}

// platform measures one profile: cold bootstrap, no-op re-run,
// credentials, peak RSS and API requests, each against the Helm CLI.
// Every run starts from a cluster without the platform: slipway's is
// removed with `slipway down`, the baseline's with `helm uninstall`, and
// the bench waits until the namespaces are gone.
func (b *bench) platform(ctx context.Context, s *platformSuite) error {
	if s.needs == nil {
		if err := s.loadNeeds(); err != nil {
			return err
		}
	}
	// Everything of the suite, teardowns included, goes through the
	// delay: a person on a remote cluster has it for every command.
	b.proxy.rtt.set(s.rtt)
	defer b.proxy.rtt.set(0)
	for i := range b.cfg.runs {
		logf("%s: run %d of %d", s.label, i+1, b.cfg.runs)
		if err := b.platformRun(ctx, s, i); err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
	}
	// One more cold up, in-process, where client-go's rate limiter can be
	// watched (the binary's own log shows only waits over a second).
	logf("%s: in-process run for client-side throttling", s.label)
	cache, err := b.dir(fmt.Sprintf("cache-%s-inproc", slug(s.label)))
	if err != nil {
		return err
	}
	rep, st, err := inProcessUp(ctx, cache, b.upArgs(s.profile, s.mirror)...)
	if err != nil {
		return err
	}
	s.throttle = st
	resetPeakRSS()
	// The suite's CRDs go too: the next suite's charts may own the same
	// CRDs under another release (the fixture GitOps chart and Argo CD's
	// both define applications.argoproj.io), which Helm refuses to adopt.
	return b.teardownSlipway(ctx, namespaces(rep.Components), "--delete-crds")
}

func (b *bench) upArgs(prof, mirror string) []string {
	return []string{"up", "--kubeconfig", b.kc, "--profile", prof, "--chart-mirror", mirror,
		"--timeout", b.cfg.timeout.String(), "-o", "json", "-q"}
}

func (b *bench) platformRun(ctx context.Context, s *platformSuite, i int) error {
	cache, err := b.dir(fmt.Sprintf("cache-%s-%d", slug(s.label), i))
	if err != nil {
		return err
	}
	env := []string{"SLIPWAY_CACHE_DIR=" + cache}
	args := b.upArgs(s.profile, s.mirror)

	b.proxy.reset()
	r, err := timed(ctx, env, b.cfg.slipway, args...)
	if err != nil {
		return err
	}
	b.logPaths("slipway up")
	reqs, verbs := b.proxy.reset()
	rep, err := decodeUp(r.stdout, "install")
	if err != nil {
		return fmt.Errorf("cold up: %w", err)
	}
	s.cold.Seconds(r.wall)
	s.rss = append(s.rss, float64(r.maxRSS))
	s.reqs = append(s.reqs, float64(reqs))
	s.verbs, s.components = verbs, len(rep.Components)
	if strings.Contains(r.stderr, "client-side throttling") {
		s.throttleLogged++
	}

	b.proxy.reset()
	r, err = timed(ctx, env, b.cfg.slipway, args...)
	if err != nil {
		return err
	}
	if _, err := decodeUp(r.stdout, "unchanged"); err != nil {
		return fmt.Errorf("no-op re-run: %w", err)
	}
	s.noop.Seconds(r.wall)
	n, _ := b.proxy.reset()
	s.noopReqs = append(s.noopReqs, float64(n))

	r, err = timed(ctx, env, b.cfg.slipway, "credentials", "--kubeconfig", b.kc)
	if err != nil {
		return err
	}
	s.creds.Seconds(r.wall)
	n, _ = b.proxy.reset()
	s.credsReqs = append(s.credsReqs, float64(n))

	r, err = timed(ctx, env, b.cfg.slipway, "status", "--kubeconfig", b.kc, "-o", "json")
	if err != nil {
		return err
	}
	s.status.Seconds(r.wall)
	n, _ = b.proxy.reset()
	s.statusReqs = append(s.statusReqs, float64(n))

	// The manual way gets what slipway worked out: the same chart
	// versions and values, and the credential Secrets.
	steps, err := b.manualSteps(ctx, s, rep, i)
	if err != nil {
		return err
	}
	if err := b.teardownSlipway(ctx, namespaces(rep.Components)); err != nil {
		return err
	}

	helmHome, err := b.dir(fmt.Sprintf("helm-%s-%d", slug(s.label), i))
	if err != nil {
		return err
	}
	b.proxy.reset()
	wall, rss, err := b.helmAll(ctx, helmHome, s.mirror, steps, true)
	if err != nil {
		return fmt.Errorf("baseline, cold: %w", err)
	}
	b.logPaths("helm upgrade --install ×" + fmt.Sprint(len(steps)))
	reqs, verbs = b.proxy.reset()
	s.helmCold.Seconds(wall)
	s.helmRSS = append(s.helmRSS, float64(rss))
	s.helmReqs = append(s.helmReqs, float64(reqs))
	s.helmVerbs = verbs
	wall, _, err = b.helmAll(ctx, helmHome, s.mirror, steps, false)
	if err != nil {
		return fmt.Errorf("baseline, re-run: %w", err)
	}
	s.helmNoop.Seconds(wall)
	if wall, err = b.helmStatus(ctx, helmHome, steps); err != nil {
		return fmt.Errorf("baseline, status: %w", err)
	}
	s.helmStatus.Seconds(wall)
	if wall, err = b.kubectlSecrets(ctx, steps); err != nil {
		return fmt.Errorf("baseline, credentials: %w", err)
	}
	s.kubectlCreds.Seconds(wall)
	if s.rtt == 0 {
		if err := b.teardownHelm(ctx, helmHome, steps); err != nil {
			return err
		}
		if wall, err = b.helmAtOnce(ctx, helmHome+"-at-once", s.mirror, steps); err != nil {
			return fmt.Errorf("baseline, all at once: %w", err)
		}
		s.helmAtOnce.Seconds(wall)
	}
	logf("%s: slipway cold %s (%d requests, peak RSS %.0f MB), no-op %s, credentials %s, status %s; helm cold %s (%d requests), re-run %s, status %s; kubectl get secret %s; helm all at once %s",
		s.label, sec(s.cold), int(s.reqs[i]), s.rss[i]/1e6, sec(s.noop), sec(s.creds), sec(s.status),
		sec(s.helmCold), int(s.helmReqs[i]), sec(s.helmNoop), sec(s.helmStatus), sec(s.kubectlCreds), lastOr(s.helmAtOnce))
	return b.teardownHelm(ctx, helmHome, steps)
}

// decodeUp parses up's JSON report and checks that every component is
// ready after the expected action.
func decodeUp(stdout, action string) (report.Up, error) {
	var rep report.Up
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		return rep, fmt.Errorf("stdout is not up's JSON report: %v", err)
	}
	for _, c := range rep.Components {
		if c.Status != "ready" || c.Action != action {
			return rep, fmt.Errorf("component %s: %s after %q, want ready after %q", c.Name, c.Status, c.Action, action)
		}
	}
	if len(rep.Components) == 0 {
		return rep, fmt.Errorf("the report lists no components")
	}
	return rep, nil
}

// step is one component installed by hand.
type step struct {
	comp             report.Component
	valuesFile       string
	secrets          []*corev1.Secret // created before the install, as a walkthrough says
	createsNamespace bool
}

// manualSteps reads back what slipway installed and orders it by depth in
// the needs graph (profile order within a depth), as a person following
// the walkthrough would.
func (b *bench) manualSteps(ctx context.Context, s *platformSuite, rep report.Up, i int) ([]step, error) {
	depth := map[string]int{}
	var visit func(string) int
	visit = func(n string) int {
		if d, ok := depth[n]; ok {
			return d
		}
		d := 0
		for _, m := range s.needs[n] {
			d = max(d, visit(m)+1)
		}
		depth[n] = d
		return d
	}
	comps := slices.Clone(rep.Components)
	slices.SortStableFunc(comps, func(a, c report.Component) int { return visit(a.Name) - visit(c.Name) })
	valuesDir, err := b.dir(fmt.Sprintf("values-%s-%d", slug(s.label), i))
	if err != nil {
		return nil, err
	}
	var steps []step
	for _, c := range comps {
		r, err := timed(ctx, nil, b.cfg.helm, "get", "values", c.Release, "-n", c.Namespace, "-o", "json", "--kubeconfig", b.kc)
		if err != nil {
			return nil, err
		}
		st := step{comp: c, valuesFile: filepath.Join(valuesDir, c.Name+".json")}
		if err := os.WriteFile(st.valuesFile, []byte(r.stdout), 0o600); err != nil {
			return nil, err
		}
		// Every Secret slipway made for the component: its credentials
		// and the internal ones its profile has slipway make in place of
		// a chart hook (Argo CD's Redis password).
		list, err := b.cluster.Client.CoreV1().Secrets(c.Namespace).List(ctx, metav1.ListOptions{
			LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedBy + "," + kube.LabelComponent + "=" + c.Name})
		if err != nil {
			return nil, fmt.Errorf("secrets of %s: %w", c.Name, err)
		}
		for _, sec := range list.Items {
			st.secrets = append(st.secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: sec.Name, Namespace: sec.Namespace}, Type: sec.Type, Data: sec.Data})
		}
		if c.Secret != "" && len(st.secrets) == 0 {
			return nil, fmt.Errorf("credentials secret %s of %s not found", c.Secret, c.Name)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// helmAll runs `helm upgrade --install --wait` for each step in order and
// returns the total wall time and the largest peak RSS of the helm
// processes. With secrets, each step's namespace and Secret are created
// first (through the API, inside the timed section).
func (b *bench) helmAll(ctx context.Context, home, mirror string, steps []step, secrets bool) (time.Duration, int64, error) {
	env := helmEnv(home)
	var rss int64
	start := time.Now()
	for _, st := range steps {
		for _, sec := range st.secrets {
			if !secrets {
				break // the re-run: they exist
			}
			if err := b.createSecret(ctx, sec); err != nil {
				return 0, 0, err
			}
		}
		r, err := timed(ctx, env, b.cfg.helm, b.helmInstallArgs(st, mirror)...)
		if err != nil {
			return 0, 0, err
		}
		rss = max(rss, r.maxRSS)
	}
	return time.Since(start), rss, nil
}

// helmInstallArgs is the `helm upgrade --install --wait` of one step.
func (b *bench) helmInstallArgs(st step, mirror string) []string {
	c := st.comp
	args := []string{"upgrade", "--install", c.Release}
	if ref, ok := strings.CutPrefix(mirror, "oci://"); ok {
		args = append(args, "oci://"+strings.TrimSuffix(ref, "/")+"/"+c.Chart)
		if strings.HasPrefix(ref, "127.0.0.1") || strings.HasPrefix(ref, "localhost") {
			args = append(args, "--plain-http")
		}
	} else {
		args = append(args, c.Chart, "--repo", mirror)
	}
	return append(args, "--version", c.Version, "-n", c.Namespace, "--create-namespace",
		"--wait", "--timeout", b.cfg.timeout.String(), "-f", st.valuesFile, "--kubeconfig", b.kc)
}

// helmAtOnce is the floor a cold up can reach on this cluster, for
// reference: every step's Secrets made first, then every `helm upgrade
// --install --wait` started at the same time, needs ignored, each with a
// Helm home of its own (empty caches, as the manual way's). Its wall time
// is mostly the slowest pod's start-up under kwok's timing, which no
// installer can shorten; figure 1's 0.35× is held against the manual
// way, and this shows how much of slipway's time is left to cut.
func (b *bench) helmAtOnce(ctx context.Context, home, mirror string, steps []step) (time.Duration, error) {
	start := time.Now()
	for _, st := range steps {
		for _, sec := range st.secrets {
			if err := b.createSecret(ctx, sec); err != nil {
				return 0, err
			}
		}
	}
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, st := range steps {
		wg.Go(func() {
			_, errs[i] = timed(ctx, helmEnv(filepath.Join(home, fmt.Sprint(i))), b.cfg.helm, b.helmInstallArgs(st, mirror)...)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// helmEnv keeps a baseline's Helm state in home.
func helmEnv(home string) []string {
	return []string{"HELM_CACHE_HOME=" + filepath.Join(home, "cache"), "HELM_CONFIG_HOME=" + filepath.Join(home, "config"), "HELM_DATA_HOME=" + filepath.Join(home, "data")}
}

// helmStatus runs `helm status` for every release, one after the other,
// and returns the total wall time: what a person checks by hand in place
// of `slipway status`.
func (b *bench) helmStatus(ctx context.Context, home string, steps []step) (time.Duration, error) {
	start := time.Now()
	for _, st := range steps {
		if _, err := timed(ctx, helmEnv(home), b.cfg.helm, "status", st.comp.Release, "-n", st.comp.Namespace, "--kubeconfig", b.kc); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// kubectlSecrets reads every component's credentials Secret with
// `kubectl get secret`, one after the other, and returns the total wall
// time: the manual way of `slipway credentials`.
func (b *bench) kubectlSecrets(ctx context.Context, steps []step) (time.Duration, error) {
	start := time.Now()
	for _, st := range steps {
		ns, name, ok := strings.Cut(st.comp.Secret, "/")
		if !ok {
			continue
		}
		if _, err := timed(ctx, nil, b.cfg.kubectl, "get", "secret", name, "-n", ns, "-o", "json", "--kubeconfig", b.kc); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (b *bench) createSecret(ctx context.Context, sec *corev1.Secret) error {
	cs := b.cluster.Client.CoreV1()
	_, err := cs.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: sec.Namespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	_, err = cs.Secrets(sec.Namespace).Create(ctx, sec.DeepCopy(), metav1.CreateOptions{})
	return err
}

func (b *bench) teardownSlipway(ctx context.Context, nss []string, flags ...string) error {
	args := append([]string{"down", "--yes", "-q", "--kubeconfig", b.kc, "--timeout", b.cfg.timeout.String()}, flags...)
	if _, err := timed(ctx, nil, b.cfg.slipway, args...); err != nil {
		return err
	}
	return b.waitGone(ctx, nss)
}

func (b *bench) teardownHelm(ctx context.Context, home string, steps []step) error {
	env := helmEnv(home)
	var comps []report.Component
	for i := len(steps) - 1; i >= 0; i-- {
		c := steps[i].comp
		comps = append(comps, c)
		if _, err := timed(ctx, env, b.cfg.helm, "uninstall", c.Release, "-n", c.Namespace, "--wait", "--kubeconfig", b.kc); err != nil {
			return err
		}
	}
	return b.deleteNamespace(ctx, namespaces(comps)...)
}

// deleteNamespace deletes namespaces and waits until they are gone.
func (b *bench) deleteNamespace(ctx context.Context, nss ...string) error {
	for _, ns := range nss {
		err := b.cluster.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return b.waitGone(ctx, nss)
}

// waitGone waits until the namespaces no longer exist, so that the next
// run is cold.
func (b *bench) waitGone(ctx context.Context, nss []string) error {
	deadline := time.Now().Add(b.cfg.timeout)
	for _, ns := range nss {
		for {
			_, err := b.cluster.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				break
			}
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("namespace %s still exists %s after the teardown", ns, b.cfg.timeout)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return nil
}

func namespaces(comps []report.Component) []string {
	var out []string
	for _, c := range comps {
		if !slices.Contains(out, c.Namespace) {
			out = append(out, c.Namespace)
		}
	}
	return out
}

func (b *bench) logPaths(what string) {
	if b.cfg.paths {
		logf("most frequent API requests of %s:\n%s", what, strings.Join(b.proxy.topPaths(25), "\n"))
	}
}

// sec renders the newest value of a time sample.
func sec(s Sample) string { return seconds(s[len(s)-1]) }

// lastOr is sec, or "—" for a figure this suite does not measure.
func lastOr(s Sample) string {
	if len(s) == 0 {
		return "—"
	}
	return sec(s)
}

func slug(s string) string {
	f, _, _ := strings.Cut(s, " ")
	return f
}

// resetPeakRSS gives the memory of an in-process up back and resets the
// bench's peak RSS. A child the bench starts shares the bench's memory
// until it execs (Go starts children with vfork), and the kernel counts
// the bench's peak into the child's Maxrss: after an in-process up every
// later process, slipway's and helm's alike, was measured at that peak
// (167.7 MB each in a run of the 100 ms suite).
func resetPeakRSS() {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		logf("peak RSS not reset (%v): later RSS figures are at least the bench's own", err)
	}
}

// inProcessUp runs `slipway up` in this process, where client-go's
// rate-limiter hook (see throttle) sees every wait.
func inProcessUp(ctx context.Context, cache string, args ...string) (report.Up, throttleStats, error) {
	old, had := os.LookupEnv("SLIPWAY_CACHE_DIR")
	os.Setenv("SLIPWAY_CACHE_DIR", cache)
	defer func() {
		if had {
			os.Setenv("SLIPWAY_CACHE_DIR", old)
		} else {
			os.Unsetenv("SLIPWAY_CACHE_DIR")
		}
	}()
	var out, errb bytes.Buffer
	throttle.reset()
	code := app.Run(ctx, append([]string{"slipway"}, args...), strings.NewReader(""), &out, &errb)
	st := throttle.reset()
	if code != 0 {
		return report.Up{}, st, fmt.Errorf("in-process up exited %d:\n%s", code, tail(errb.String(), 15))
	}
	rep, err := decodeUp(out.String(), "install")
	return rep, st, err
}
