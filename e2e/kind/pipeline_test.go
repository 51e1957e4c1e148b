//go:build kind

package kind

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway-dev/slipway/internal/report"
)

// jenkins talks to Jenkins through host port 80 and the ingress, with
// Jenkins's Host header (no DNS needed), logged in as the admin.
type jenkins struct {
	host, user, password string
	cookies              []*http.Cookie
	crumbField, crumb    string
}

func (j *jenkins) do(t *testing.T, method, path string, form url.Values) (int, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, "http://127.0.0.1"+path, body)
	req.Host = j.host
	req.SetBasicAuth(j.user, j.password)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if j.crumb != "" {
		req.Header.Set(j.crumbField, j.crumb)
	}
	for _, c := range j.cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	j.cookies = append(j.cookies, resp.Cookies()...)
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, data
}

// TestSamplePipelinePushesAndNodesPull installs the default profile (with
// the in-cluster registry) on the kind cluster slipway creates, runs the
// sample pipeline to the end through Jenkins's API, and runs the image it
// pushed in a pod by the reference the build printed: the node pulls it
// through the hosts.toml slipway wrote.
func TestSamplePipelinePushesAndNodesPull(t *testing.T) {
	args := []string{"up", "--create-cluster", "--cluster-name", name, "--profile", "default", "--gitops", "none", "--ip", "auto", "--timeout", "20m", "-o", "json"}
	r := slipway(t, 30*time.Minute, args...)
	if r.code != 0 {
		t.Fatalf("up exited %d", r.code)
	}
	var up report.Up
	if err := json.Unmarshal([]byte(r.stdout), &up); err != nil {
		t.Fatal(err)
	}
	j := &jenkins{}
	for _, c := range up.Components {
		if c.Name == "jenkins" {
			j.host, j.user, j.password = strings.TrimPrefix(c.URL, "http://"), c.Username, c.Password
		}
	}
	if !strings.Contains(strings.Join(up.Notes, "\n"), "node(s) pull registry.registry.svc.cluster.local:5000") {
		t.Errorf("the report does not say the nodes were configured: %q", up.Notes)
	}

	// The crumb (CSRF protection) is tied to the session cookie.
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		code, data := j.do(t, "GET", "/crumbIssuer/api/json", nil)
		var c struct{ Crumb, CrumbRequestField string }
		if code == http.StatusOK && json.Unmarshal(data, &c) == nil && c.Crumb != "" {
			j.crumbField, j.crumb = c.CrumbRequestField, c.Crumb
			break
		}
		time.Sleep(3 * time.Second)
	}
	if j.crumb == "" {
		t.Fatal("no CSRF crumb from Jenkins")
	}
	// A parameterized job's first run: its parameters come from JCasC.
	if code, data := j.do(t, "POST", "/job/sample-pipeline/buildWithParameters", url.Values{}); code != http.StatusCreated {
		t.Fatalf("start sample-pipeline: %d %s", code, data)
	}
	var build struct {
		Building bool
		Result   string
	}
	deadline = time.Now().Add(25 * time.Minute)
	for time.Now().Before(deadline) {
		code, data := j.do(t, "GET", "/job/sample-pipeline/1/api/json", nil)
		if code == http.StatusOK && json.Unmarshal(data, &build) == nil && !build.Building && build.Result != "" {
			break
		}
		time.Sleep(10 * time.Second)
	}
	_, console := j.do(t, "GET", "/job/sample-pipeline/1/consoleText", nil)
	if build.Result != "SUCCESS" {
		t.Fatalf("sample-pipeline #1: %q\n%s", build.Result, console)
	}
	m := regexp.MustCompile(`Pushed (registry\.registry\.svc\.cluster\.local:5000/sample-app:1-[0-9a-f]{7});`).FindSubmatch(console)
	if m == nil {
		t.Fatalf("no pushed image reference in the build log:\n%s", console)
	}
	image := string(m[1])

	// kubectl run --restart=Never --image <that reference>.
	conf, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(),
		&clientcmd.ConfigOverrides{CurrentContext: "kind-" + name}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(conf)
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "sample-app", Namespace: "default"},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "sample-app", Image: image}}},
	}
	if _, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.CoreV1().Pods("default").Delete(ctx, "sample-app", metav1.DeleteOptions{}) })
	var phase corev1.PodPhase
	var why string
	deadline = time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		p, err := client.CoreV1().Pods("default").Get(ctx, "sample-app", metav1.GetOptions{})
		if err == nil {
			phase = p.Status.Phase
			for _, cs := range p.Status.ContainerStatuses {
				if w := cs.State.Waiting; w != nil {
					why = fmt.Sprintf("%s: %s", w.Reason, w.Message)
				}
			}
		}
		if phase == corev1.PodSucceeded || phase == corev1.PodFailed {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if phase != corev1.PodSucceeded {
		t.Fatalf("pod with image %s: phase %s (%s)", image, phase, why)
	}
	logs, err := client.CoreV1().Pods("default").GetLogs("sample-app", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || !strings.Contains(string(logs), "Hello World!") {
		t.Errorf("the sample app printed %q (%v), want Hello World!", logs, err)
	}
}
