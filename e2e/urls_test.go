package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The URL up prints is the one the application is configured with: the
// checks below read it back from the configuration the chart rendered,
// where the application itself reads it, for the fixture charts and for
// the real ones (realcharts_test.go) alike.

// checkArgoCDURL: argocd-cm's url (UI links, SSO redirects) and the
// notifications' argocdUrl are the printed URL.
func checkArgoCDURL(t *testing.T, ns, printed string) {
	t.Helper()
	ctx := context.Background()
	cm, err := env.client.CoreV1().ConfigMaps(ns).Get(ctx, "argocd-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("argocd-cm: %v", err)
	}
	if got := cm.Data["url"]; got != printed {
		t.Errorf("argocd-cm url is %q, up printed %q", got, printed)
	}
	n, err := env.client.CoreV1().ConfigMaps(ns).Get(ctx, "argocd-notifications-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("argocd-notifications-cm: %v", err)
	}
	var notif struct {
		ArgocdURL string `json:"argocdUrl"`
	}
	if err := yaml.Unmarshal([]byte(n.Data["context"]), &notif); err != nil {
		t.Fatalf("argocd-notifications-cm context: %v", err)
	}
	if notif.ArgocdURL != printed {
		t.Errorf("argocd-notifications-cm argocdUrl is %q, up printed %q", notif.ArgocdURL, printed)
	}
}

// checkJenkinsURL: the JCasC default configuration's
// unclassified.location.url, which Jenkins uses for every link it makes,
// is the printed URL.
func checkJenkinsURL(t *testing.T, ns, printed string) {
	t.Helper()
	cms, err := env.client.CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, cm := range cms.Items {
		casc, ok := cm.Data["jcasc-default-config.yaml"]
		if !ok {
			continue
		}
		var doc struct {
			Unclassified struct {
				Location struct {
					URL string `json:"url"`
				} `json:"location"`
			} `json:"unclassified"`
		}
		if err := yaml.Unmarshal([]byte(casc), &doc); err != nil {
			t.Fatalf("ConfigMap %s/%s jcasc-default-config.yaml: %v", ns, cm.Name, err)
		}
		if got := doc.Unclassified.Location.URL; got != printed {
			t.Errorf("ConfigMap %s/%s: JCasC location.url is %q, up printed %q", ns, cm.Name, got, printed)
		}
		found = append(found, cm.Name)
	}
	if len(found) != 1 {
		t.Errorf("want one ConfigMap in %s with jcasc-default-config.yaml, found [%s]", ns, strings.Join(found, ", "))
	}
}
