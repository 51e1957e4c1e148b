//go:build realcharts

package e2e

// The real-charts mode: every shipped profile installed from the real
// upstream charts (Traefik, Jenkins, Argo CD, ingress-nginx, Flux Operator)
// on the hermetic cluster. It needs those charts, which CI does not have,
// so it is compiled only with the realcharts build tag:
//
//	E2E_CHARTS_DIR=/path/to/charts make e2e-real      # <name>/ dirs or <name>-<version>.tgz
//	E2E_CHART_MIRROR=https://mirror/charts make e2e-real   # or oci://host/path
//
// It is never skipped: built with the tag and no source, it fails and says
// what to set.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// realSource returns the slipway flag that points every chart at the real
// charts under test.
func realSource(t *testing.T) []string {
	t.Helper()
	if dir := os.Getenv("E2E_CHARTS_DIR"); dir != "" {
		return []string{"--charts-dir", dir}
	}
	if m := os.Getenv("E2E_CHART_MIRROR"); m != "" {
		return []string{"--chart-mirror", m}
	}
	t.Fatal("the realcharts tests need the real charts: set E2E_CHARTS_DIR (chart dirs or .tgz files by name) or E2E_CHART_MIRROR (a Helm repository URL or oci:// base holding traefik, jenkins, argo-cd, ingress-nginx, flux-operator and flux-instance)")
	return nil
}

// TestRealProfiles runs up with each shipped profile against the real
// charts, one after another with a down in between, and checks what a
// user would: every component Ready, the hostnames, Jenkins' two JCasC
// jobs, the URLs Jenkins and Argo CD are configured with (the printed
// ones), the GitOps objects, and the credentials.
func TestRealProfiles(t *testing.T) {
	src := realSource(t)
	// Flux's own CRDs are installed by the Flux Operator when it reconciles
	// the FluxInstance; kwok runs no controller, so they are created here
	// in its place before the wiring chart needs them.
	// The GitOps agents sync from the loopback Git server: no container
	// runs, so e2e/standin does what their controllers do, and creates
	// the Flux CRDs after the FluxInstance appears, as the operator would
	// (nothing is created beforehand).
	if _, err := env.git.Commit(context.Background(), "platform", "main", map[string]string{"clusters/dev/config.yaml": configMap("default", "one")}); err != nil {
		t.Fatal(err)
	}
	repo := env.git.URL("platform")
	// The same, private: the repository Secret slipway makes for Argo CD
	// is what the agent (stand-in) logs in with.
	if _, err := env.git.Commit(context.Background(), "privplatform", "main", map[string]string{"clusters/dev/config.yaml": configMap("default", "one")}); err != nil {
		t.Fatal(err)
	}
	env.git.Private("privplatform", "e2e-bot", "real-charts-token")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("real-charts-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// ingress-nginx's validating webhook is answered by its controller pod;
	// under kwok no container runs, so the apiserver's call could only time
	// out. On a real cluster the webhook stays on.
	noWebhook := []string{"--set", "ingress-nginx.controller.admissionWebhooks.enabled=false"}
	registryToken := filepath.Join(t.TempDir(), "registry-token")
	if err := os.WriteFile(registryToken, []byte("registry-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		hosts   []string // Ingress hosts that must exist
		gitops  string   // "argocd", "flux" or ""
		install []string // components expected in the report
		push    string   // SAMPLE_IMAGE the Jenkins controller is given ("-": none set)
	}{
		{"default", []string{"--profile", "default", "--gitops-repo", repo, "--gitops-path", "clusters/dev"},
			[]string{"jenkins.127.0.0.1.sslip.io", "argocd.127.0.0.1.sslip.io", "registry.127.0.0.1.sslip.io"}, "argocd",
			[]string{"traefik", "jenkins", "registry", "argocd", "argocd-repo"}, inClusterImage},
		{"default-private-repo", []string{"--profile", "default", "--gitops-repo", env.git.URL("privplatform"), "--gitops-path", "clusters/dev",
			"--gitops-username", "e2e-bot", "--gitops-password", "@" + tokenFile},
			[]string{"jenkins.127.0.0.1.sslip.io", "argocd.127.0.0.1.sslip.io", "registry.127.0.0.1.sslip.io"}, "argocd",
			[]string{"traefik", "jenkins", "registry", "argocd", "argocd-repo"}, inClusterImage},
		{"classic", append([]string{"--profile", "classic", "--gitops-repo", repo, "--gitops-path", "clusters/dev"}, noWebhook...),
			[]string{"jenkins.127.0.0.1.sslip.io", "registry.127.0.0.1.sslip.io"}, "flux",
			[]string{"ingress-nginx", "jenkins", "registry", "flux-operator", "flux-instance", "flux-repo"}, inClusterImage},
		{"minimal", []string{"--profile", "minimal"},
			[]string{"jenkins.127.0.0.1.sslip.io"}, "",
			nil, ""},
		{"default-flux-nginx", append([]string{"--profile", "default", "--gitops", "flux", "--ingress", "nginx"}, noWebhook...),
			[]string{"jenkins.127.0.0.1.sslip.io", "registry.127.0.0.1.sslip.io"}, "",
			[]string{"ingress-nginx", "jenkins", "registry", "flux-operator", "flux-instance"}, inClusterImage},
		// Your own registry: no in-cluster one, the login in a
		// docker-registry Secret the real Jenkins chart's pipeline mounts.
		{"default-own-registry", []string{"--profile", "default", "--gitops", "none", "--registry", "ghcr.io/example", "--registry-username", "robot", "--registry-password", "@" + registryToken},
			[]string{"jenkins.127.0.0.1.sslip.io"}, "",
			[]string{"traefik", "jenkins"}, "ghcr.io/example/sample-app"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each profile starts from an empty platform, whatever the
			// previous one left (host ports 80/443 are held by one pod).
			t.Cleanup(func() {
				if d := slipway(t, "down", "--kubeconfig", env.kubeconfig, "--yes"); d.code != 0 {
					t.Errorf("down exited %d", d.code)
				}
			})
			// --show-passwords: the report's passwords are checked against
			// the running apps and against `slipway credentials`.
			args := append([]string{"up", "--kubeconfig", env.kubeconfig, "--timeout", "10m", "-o", "json", "--show-passwords"}, append(src, tc.args...)...)
			start := time.Now()
			r := slipway(t, args...)
			took := time.Since(start)
			if r.code != 0 {
				t.Fatalf("up with profile %s exited %d", tc.name, r.code)
			}
			t.Logf("profile %s: up took %s", tc.name, took.Round(100*time.Millisecond))
			up := decodeUp(t, r)
			got := map[string]bool{}
			passwords, urls := map[string]string{}, map[string]string{}
			for _, c := range up.Components {
				got[c.Name] = true
				passwords[c.Name], urls[c.Name] = c.Password, c.URL
				if c.Status != "ready" {
					t.Errorf("%s: status %s, want ready", c.Name, c.Status)
				}
			}
			for _, want := range tc.install {
				if !got[want] {
					t.Errorf("component %s missing from the report %+v", want, up.Components)
				}
			}
			checkHosts(t, tc.hosts)
			checkJenkins(t, passwords["jenkins"])
			checkPushDestination(t, tc.push)
			// Every shipped profile has Jenkins, on the ingress: JCasC's
			// location.url is the URL up printed.
			if urls["jenkins"] == "" {
				t.Error("up printed no URL for jenkins")
			}
			checkJenkinsURL(t, "jenkins", urls["jenkins"])
			creds := credentialsJSON(t)
			for comp, pw := range passwords {
				if pw != "" && creds[comp] != pw {
					t.Errorf("%s: slipway credentials prints another password than up", comp)
				}
			}
			switch tc.gitops {
			case "argocd":
				checkArgoCD(t, passwords["argocd"])
				checkArgoCDURL(t, "argocd", urls["argocd"])
				if strings.HasSuffix(tc.name, "-private-repo") {
					sec, err := env.client.CoreV1().Secrets("argocd").Get(context.Background(), "slipway-gitops-repo", metav1.GetOptions{})
					if err != nil {
						t.Fatalf("the repository credential Secret: %v", err)
					}
					checkRepoSecret(t, sec, "argocd-repo", []string{"password", "type", "url", "username"}, true)
				}
			case "flux":
				checkFlux(t)
			}
			// A re-run changes nothing.
			again := slipway(t, args...)
			if again.code != 0 {
				t.Fatalf("second up exited %d", again.code)
			}
			for _, c := range decodeUp(t, again).Components {
				if c.Action != "unchanged" || c.Password != passwords[c.Name] {
					t.Errorf("%s: re-run did %q (password kept: %v)", c.Name, c.Action, c.Password == passwords[c.Name])
				}
			}
		})
	}
}

// TestRealArgoCDKnownHosts: the host keys of --gitops-known-hosts reach
// the real argo-cd chart's argocd-ssh-known-hosts-cm through
// configs.ssh.extraHosts, after the chart's own list (rendered; the
// hermetic TestGitOpsPrivateRepoSSH syncs through the fixture's copy).
func TestRealArgoCDKnownHosts(t *testing.T) {
	key, known, line := sshKeyFiles(t, "git.example")
	r := slipway(t, append([]string{"template", "--profile", "default", "--gitops-repo", "git@git.example:org/platform.git",
		"--gitops-ssh-key", key, "--gitops-known-hosts", known}, realSource(t)...)...)
	if r.code != 0 {
		t.Fatalf("template exited %d", r.code)
	}
	for _, doc := range strings.Split(r.stdout, "\n---") {
		if strings.Contains(doc, "name: argocd-ssh-known-hosts-cm") {
			if !strings.Contains(doc, "github.com ssh-ed25519 ") || !strings.Contains(doc, "    "+line+"\n") {
				t.Errorf("argocd-ssh-known-hosts-cm lacks the chart's keys or the given one (%s):\n%s", line, doc)
			}
			return
		}
	}
	t.Errorf("the argo-cd chart rendered no argocd-ssh-known-hosts-cm:\n%s", r.stdout)
}

// checkHosts finds an Ingress rule for every host.
func checkHosts(t *testing.T, hosts []string) {
	t.Helper()
	list, err := env.client.NetworkingV1().Ingresses("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, ing := range list.Items {
		for _, rule := range ing.Spec.Rules {
			class := ""
			if ing.Spec.IngressClassName != nil {
				class = *ing.Spec.IngressClassName
			}
			have[rule.Host] = class
		}
	}
	for _, h := range hosts {
		class, ok := have[h]
		if !ok {
			t.Errorf("no Ingress for host %s (have %v)", h, have)
		} else if class == "" {
			t.Errorf("the Ingress for %s names no ingressClassName", h)
		}
	}
}

// checkJenkins reads the JCasC ConfigMaps for both jobs, makes sure no
// pod template mounts docker.sock, and follows the controller's admin
// Secret volume to the password up printed.
func checkJenkins(t *testing.T, password string) {
	t.Helper()
	ctx := context.Background()
	cms, err := env.client.CoreV1().ConfigMaps("jenkins").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var casc strings.Builder
	for _, cm := range cms.Items {
		for _, v := range cm.Data {
			casc.WriteString(v)
		}
	}
	for _, job := range []string{"myfirstjob", "hello world!", "sample-pipeline", "kaniko"} {
		if !strings.Contains(casc.String(), job) {
			t.Errorf("the Jenkins ConfigMaps do not mention %q", job)
		}
	}
	if strings.Contains(casc.String(), "docker.sock") {
		t.Error("a Jenkins ConfigMap mounts docker.sock")
	}
	sts, err := env.client.AppsV1().StatefulSets("jenkins").Get(ctx, "jenkins", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.Secret == nil {
				continue
			}
			for _, item := range s.Secret.Items {
				if item.Path != "chart-admin-password" {
					continue
				}
				sec, err := env.client.CoreV1().Secrets("jenkins").Get(ctx, s.Secret.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if string(sec.Data[item.Key]) != password {
					t.Error("the password Jenkins mounts differs from the one up printed")
				}
				return
			}
		}
	}
	t.Error("the Jenkins controller mounts no admin password from a Secret")
}

// checkArgoCD verifies the admin hash against the printed password and the
// Application pointing at the repository path.
func checkArgoCD(t *testing.T, password string) {
	t.Helper()
	ctx := context.Background()
	sec, err := env.client.CoreV1().Secrets("argocd").Get(ctx, "argocd-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword(sec.Data["admin.password"], []byte(password)); err != nil {
		t.Errorf("argocd-secret's admin.password does not verify against the printed password: %v", err)
	}
	if _, err := env.client.CoreV1().Secrets("argocd").Get(ctx, "argocd-initial-admin-secret", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("argocd-initial-admin-secret: want none, got err %v", err)
	}
	// Redis's password: made by slipway before the install, read by the
	// Redis Deployment; the chart's hook Job that would make it is off.
	redis, err := env.client.CoreV1().Secrets("argocd").Get(ctx, "argocd-redis", metav1.GetOptions{})
	if err != nil || len(redis.Data["auth"]) != 32 {
		t.Errorf("argocd-redis: want a 32-character auth key made by slipway, got %v", err)
	}
	if _, err := env.client.BatchV1().Jobs("argocd").Get(ctx, "argocd-redis-secret-init", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the redis-secret-init hook Job ran: %v", err)
	}
	dep, err := env.client.AppsV1().Deployments("argocd").Get(ctx, "argocd-redis", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reads := false
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && r.SecretKeyRef.Name == "argocd-redis" && r.SecretKeyRef.Key == "auth" {
			reads = true
		}
	}
	if !reads {
		t.Error("the argocd-redis Deployment does not read its password from Secret argocd-redis, key auth")
	}
	app, err := env.dynamic.Resource(schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}).
		Namespace("argocd").Get(ctx, "platform", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("no Application: %v", err)
	}
	path, _, _ := unstructured.NestedString(app.Object, "spec", "source", "path")
	selfHeal, _, _ := unstructured.NestedBool(app.Object, "spec", "syncPolicy", "automated", "selfHeal")
	if path != "clusters/dev" || !selfHeal {
		t.Errorf("Application path %q selfHeal %v", path, selfHeal)
	}
}

// checkFlux finds the FluxInstance and the GitRepository + Kustomization.
func checkFlux(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []struct {
		gvr  schema.GroupVersionResource
		name string
	}{
		{schema.GroupVersionResource{Group: "fluxcd.controlplane.io", Version: "v1", Resource: "fluxinstances"}, "flux"},
		{schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}, "platform"},
		{schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}, "platform"},
	} {
		if _, err := env.dynamic.Resource(r.gvr).Namespace("flux-system").Get(ctx, r.name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s %s: %v", r.gvr.Resource, r.name, err)
		}
	}
}

// inClusterImage is where the sample pipeline of default/classic@1.4.0
// pushes by default.
const inClusterImage = "registry.registry.svc.cluster.local:5000/sample-app"

// checkPushDestination reads the real Jenkins chart's controller env: the
// destination slipway set in controller.containerEnv reaches the
// container JCasC substitutes it from, and the JCasC job reads it.
func checkPushDestination(t *testing.T, want string) {
	t.Helper()
	ctx := context.Background()
	sts, err := env.client.AppsV1().StatefulSets("jenkins").Get(ctx, "jenkins", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := "-"
	for _, c := range sts.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if c.Name == "jenkins" && e.Name == "SAMPLE_IMAGE" {
				got = e.Value
			}
		}
	}
	if got != want {
		t.Errorf("Jenkins controller SAMPLE_IMAGE = %q, want %q", got, want)
	}
	if want == inClusterImage {
		cm, err := env.client.CoreV1().ConfigMaps("kube-public").Get(ctx, "local-registry-hosting", metav1.GetOptions{})
		if err != nil || !strings.Contains(cm.Data["localRegistryHosting.v1"], "registry.registry.svc.cluster.local:5000") {
			t.Errorf("local-registry-hosting: %v %v", err, cm)
		}
	}
	if strings.HasPrefix(want, "ghcr.io/") {
		sec, err := env.client.CoreV1().Secrets("jenkins").Get(ctx, "registry-push-credentials", metav1.GetOptions{})
		if err != nil || sec.Type != "kubernetes.io/dockerconfigjson" {
			t.Errorf("docker-registry Secret: %v", err)
		}
	}
}
