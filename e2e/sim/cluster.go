package sim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// Timing selects kwok's pod stages: Fast makes pods Ready at once; Realistic
// uses kwok's "general" stages, with create/init/ready delays and jitter
// like a real kubelet, for benchmarks and progress-display tests.
type Timing string

const (
	Fast      Timing = "fast"
	Realistic Timing = "realistic"
)

// NodeName is the single simulated node. Like kind's control-plane node it
// is labelled ingress-ready=true, so ingress charts configured for kind
// schedule onto it.
const NodeName = "slipway-control-plane"

// Users with tokens in the cluster's token file, besides admin. They belong
// to no group, so they can do nothing until a test grants them RBAC: the
// ground for restricted-permission tests.
var Users = []string{"alice", "bob"}

// Options configure Start.
type Options struct {
	// Name names a detached cluster (see Detached); test clusters are unnamed.
	Name   string
	Timing Timing
	// Detached clusters outlive the process that started them (for
	// `simcluster up`); they end with Down. Otherwise every component dies
	// with the starting process.
	Detached bool
	// Log receives progress lines (build, start); nil discards them.
	Log io.Writer
}

// Cluster is a running hermetic cluster.
type Cluster struct {
	Dir        string       // run directory: kubeconfig, logs, pids, etcd data
	Kubeconfig string       // admin kubeconfig (context "slipway-sim")
	Config     *rest.Config // admin REST config
	Client     kubernetes.Interface

	opts   Options
	pki    *pki
	server string
	tokens map[string]string
	procs  []*proc // start order
}

// Start builds or reuses the binaries and starts etcd, the apiserver,
// controller manager, scheduler and kwok on free loopback ports, then waits
// until the API is ready, the node is Ready and the default service account
// exists (pods are refused before it does).
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Timing == "" {
		opts.Timing = Fast
	}
	if _, ok := kwokStages[opts.Timing]; !ok {
		return nil, fmt.Errorf("unknown pod timing %q: use %q or %q", opts.Timing, Fast, Realistic)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	bin, err := EnsureBinaries(ctx, opts.Log)
	if err != nil {
		return nil, err
	}
	cache, err := CacheRoot()
	if err != nil {
		return nil, err
	}
	runs := filepath.Join(cache, "run")
	if reaped := reapStale(runs); len(reaped) > 0 {
		fmt.Fprintf(opts.Log, "sim: cleaned up %d stale cluster(s) left by killed runs: %s\n", len(reaped), strings.Join(reaped, ", "))
	}
	if err := os.MkdirAll(runs, 0o700); err != nil {
		return nil, err
	}
	// A component can die while the cluster starts (seen once: kwok exiting
	// at start-up while another cluster was starting on the same machine).
	// One retry on fresh ports and a fresh directory keeps that from
	// failing a whole test run; the first failure is logged in full.
	if opts.Detached {
		if opts.Name == "" {
			opts.Name = "slipway"
		}
		dir := filepath.Join(runs, "detached-"+opts.Name)
		if _, err := os.Stat(dir); err == nil {
			return nil, fmt.Errorf("a cluster named %q is already running (kubeconfig %s); stop it with `go -C e2e run ./simcluster down --name %s`", opts.Name, filepath.Join(dir, "kubeconfig"), opts.Name)
		}
	}
	const attempts = 2
	for attempt := 1; ; attempt++ {
		c, err := startIn(ctx, opts, bin, runs)
		if err == nil || attempt == attempts || ctx.Err() != nil {
			return c, err
		}
		fmt.Fprintf(opts.Log, "sim: the cluster did not start (attempt %d of %d), retrying: %v\n", attempt, attempts, err)
	}
}

// startIn makes the cluster's directory under runs and starts it there;
// on failure everything it started is stopped and the directory removed.
func startIn(ctx context.Context, opts Options, bin Binaries, runs string) (*Cluster, error) {
	var dir string
	var err error
	if opts.Detached {
		dir = filepath.Join(runs, "detached-"+opts.Name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
	} else if dir, err = os.MkdirTemp(runs, "test-"); err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), opts: opts}
	if err := c.start(ctx, bin); err != nil {
		diag := c.logTails(15)
		c.Stop()
		return nil, fmt.Errorf("%w\n%s", err, diag)
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, bin Binaries) error {
	if err := writeOwner(c.Dir, c.opts.Detached); err != nil {
		return err
	}
	for _, sub := range []string{"pids", "logs", "pki", "etcd"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, sub), 0o700); err != nil {
			return err
		}
	}
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	etcdClient, etcdPeer, apiPort, kwokPort := ports[0], ports[1], ports[2], ports[3]
	c.server = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	if c.pki, err = writePKI(filepath.Join(c.Dir, "pki")); err != nil {
		return err
	}
	if err := c.writeTokens(); err != nil {
		return err
	}
	if err := c.writeKubeconfig(c.Kubeconfig, "admin"); err != nil {
		return err
	}
	if c.Config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return err
	}
	c.Config.QPS, c.Config.Burst = 100, 200
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	etcd := c.newProc(bin, binEtcd,
		"--name=sim", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=sim="+peerURL, "--log-level=warn",
		// A test cluster is thrown away; fsync only costs time.
		"--unsafe-no-fsync")
	if err := etcd.start(); err != nil {
		return err
	}
	if err := waitHTTP(ctx, etcd, etcdURL+"/health", nil, 30*time.Second); err != nil {
		return err
	}

	pki := c.pki
	api := c.newProc(bin, binAPIServer,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		// A loopback advertise address is refused unless the endpoint
		// reconciler is off; nothing routes to the kubernetes Service here.
		"--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
		"--tls-cert-file="+pki.servingCert, "--tls-private-key-file="+pki.servingKey,
		"--token-auth-file="+filepath.Join(c.Dir, "pki", "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-key-file="+pki.saPub,
		"--service-account-signing-key-file="+pki.saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true", "--profiling=false",
		// The plugin taints new nodes not-ready; the node lifecycle
		// controller that would lift the taint is off (kwok owns node
		// status, and a paused apiserver in fault tests must not make it
		// evict pods).
		"--disable-admission-plugins=TaintNodesByCondition",
		"--cert-dir="+filepath.Join(c.Dir, "pki"))
	if err := api.start(); err != nil {
		return err
	}
	if err := c.waitReady(ctx, api); err != nil {
		return err
	}

	kcm := c.newProc(bin, binController,
		"--kubeconfig="+c.Kubeconfig,
		"--leader-elect=false", "--use-service-account-credentials=false",
		"--service-account-private-key-file="+pki.saKey,
		"--root-ca-file="+pki.caCert,
		"--bind-address=127.0.0.1", "--secure-port=0",
		"--controllers=*,-nodeipam,-nodelifecycle")
	sched := c.newProc(bin, binScheduler,
		"--kubeconfig="+c.Kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port=0")
	kwokArgs := []string{
		"--kubeconfig=" + c.Kubeconfig, "--manage-all-nodes=true",
		"--server-address=127.0.0.1:" + strconv.Itoa(kwokPort),
		"--cidr=10.244.0.0/16", "--node-ip=10.0.0.2",
	}
	for _, set := range kwokStages[c.opts.Timing] {
		files, _ := filepath.Glob(filepath.Join(bin.stageDir(set), "*.yaml"))
		for _, f := range files {
			if filepath.Base(f) != "storage-class.yaml" {
				kwokArgs = append(kwokArgs, "--config="+f)
			}
		}
	}
	kwok := c.newProc(bin, binKwok, kwokArgs...)
	for _, p := range []*proc{kcm, sched, kwok} {
		if err := p.start(); err != nil {
			return err
		}
	}
	if err := c.applyStorageClass(ctx, bin); err != nil {
		return err
	}
	if err := c.createNode(ctx); err != nil {
		return err
	}
	return c.waitWorkable(ctx)
}

func (c *Cluster) newProc(bin Binaries, name string, args ...string) *proc {
	p := &proc{
		name: name, bin: bin.path(name), args: args, detached: c.opts.Detached,
		logPath: filepath.Join(c.Dir, "logs", name+".log"),
		pidPath: filepath.Join(c.Dir, "pids", name+".pid"),
	}
	c.procs = append(c.procs, p)
	return p
}

func (c *Cluster) proc(name string) *proc {
	for _, p := range c.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// writeTokens writes the static token file: admin in system:masters, and
// the group-less Users.
func (c *Cluster) writeTokens() error {
	c.tokens = map[string]string{}
	var b strings.Builder
	for _, u := range append([]string{"admin"}, Users...) {
		buf := make([]byte, 16)
		if _, err := rand.Read(buf); err != nil {
			return err
		}
		c.tokens[u] = hex.EncodeToString(buf)
		groups := ""
		if u == "admin" {
			groups = `,"system:masters"`
		}
		fmt.Fprintf(&b, "%s,%s,%s%s\n", c.tokens[u], u, u, groups)
	}
	return os.WriteFile(filepath.Join(c.Dir, "pki", "tokens.csv"), []byte(b.String()), 0o600)
}

func (c *Cluster) writeKubeconfig(path, user string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["slipway-sim"] = &clientcmdapi.Cluster{Server: c.server, CertificateAuthorityData: c.pki.caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: c.tokens[user]}
	ctxName := "slipway-sim"
	if user != "admin" {
		ctxName = "slipway-sim-" + user
	}
	cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: "slipway-sim", AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = ctxName
	return clientcmd.WriteToFile(*cfg, path)
}

// UserKubeconfig writes a kubeconfig for one of Users and returns its path.
func (c *Cluster) UserKubeconfig(user string) (string, error) {
	if !slices.Contains(Users, user) {
		return "", fmt.Errorf("no user %q in the simulated cluster; users: %s", user, strings.Join(Users, ", "))
	}
	path := filepath.Join(c.Dir, "kubeconfig-"+user)
	return path, c.writeKubeconfig(path, user)
}

// waitReady polls /readyz until the apiserver answers ok.
func (c *Cluster) waitReady(ctx context.Context, api *proc) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.pki.caPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	hdr := http.Header{"Authorization": []string{"Bearer " + c.tokens["admin"]}}
	return waitHTTPWith(ctx, api, client, c.server+"/readyz", hdr, 90*time.Second)
}

func (c *Cluster) applyStorageClass(ctx context.Context, bin Binaries) error {
	data, err := os.ReadFile(filepath.Join(bin.stageDir("volume/fast"), "storage-class.yaml"))
	if err != nil {
		return err
	}
	var sc storagev1.StorageClass
	if err := yaml.UnmarshalStrict(data, &sc); err != nil {
		return fmt.Errorf("kwok storage class: %w", err)
	}
	_, err = c.Client.StorageV1().StorageClasses().Create(ctx, &sc, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (c *Cluster) createNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: NodeName,
			Labels: map[string]string{
				"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"kubernetes.io/hostname": NodeName, "ingress-ready": "true",
				"node-role.kubernetes.io/control-plane": "", "type": "kwok",
			},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
		},
		Status: corev1.NodeStatus{
			Allocatable: nodeResources(), Capacity: nodeResources(),
		},
	}
	_, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("16"),
		corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods:   resource.MustParse("250"),
	}
}

// waitWorkable waits for a Ready node and the default service account.
func (c *Cluster) waitWorkable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var last string
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		for _, p := range c.procs {
			if p.exited() {
				return false, fmt.Errorf("%s exited; its log is %s", p.name, p.logPath)
			}
		}
		node, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		ready := false
		for _, cond := range node.Status.Conditions {
			ready = ready || (cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue)
		}
		if !ready {
			last = "node " + NodeName + " not Ready yet (kwok)"
			return false, nil
		}
		if _, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			last = "default service account not created yet (controller manager): " + err.Error()
			return false, nil
		}
		return true, nil
	})
	if err != nil && last != "" {
		return fmt.Errorf("cluster not workable: %s: %w", last, err)
	}
	return err
}

// StopAPIServer stops the apiserver (for fault tests); StartAPIServer
// brings it back on the same port with the same flags.
func (c *Cluster) StopAPIServer() { c.proc(binAPIServer).stop(10 * time.Second) }

// StartAPIServer restarts the apiserver stopped by StopAPIServer and waits
// until it is ready again.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	api := c.proc(binAPIServer)
	if !api.exited() {
		return errors.New("the apiserver is running")
	}
	if err := api.start(); err != nil {
		return err
	}
	return c.waitReady(ctx, api)
}

// Stop ends every component, newest first, and removes the run directory.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].stop(10 * time.Second)
	}
	os.RemoveAll(c.Dir)
}

// Logs returns the last n lines of every component's log, for test
// failure output.
func (c *Cluster) logTails(n int) string {
	var b strings.Builder
	for _, p := range c.procs {
		if t := p.tail(n); t != "" {
			fmt.Fprintf(&b, "--- %s (%s), last %d lines:\n%s\n", p.name, p.logPath, n, t)
		}
	}
	return b.String()
}

// LogTails returns the last n lines of every component's log.
func (c *Cluster) LogTails(n int) string { return c.logTails(n) }

// Down stops a detached cluster started with Options.Detached and Name.
// Stopping one that is not running is not an error.
func Down(name string) error {
	cache, err := CacheRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(cache, "run", "detached-"+name)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return killRunDir(dir)
}

// DetachedKubeconfig returns the kubeconfig path of a running detached
// cluster, or an error saying how to start one.
func DetachedKubeconfig(name string) (string, error) {
	cache, err := CacheRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(cache, "run", "detached-"+name, "kubeconfig")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("no simulated cluster named %q is running; start one with `go -C e2e run ./simcluster up`", name)
	}
	return path, nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitHTTP(ctx context.Context, p *proc, url string, hdr http.Header, timeout time.Duration) error {
	return waitHTTPWith(ctx, p, &http.Client{Timeout: 5 * time.Second}, url, hdr, timeout)
}

// waitHTTPWith polls url until it answers 200, failing early if the process
// behind it exits.
func waitHTTPWith(ctx context.Context, p *proc, client *http.Client, url string, hdr http.Header, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("%s exited; its log is %s", p.name, p.logPath)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		req.Header = hdr
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("%s not ready at %s (last answer: %s): %w", p.name, url, last, err)
	}
	return nil
}
