package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from the current output")

// TestDocumentsGolden pins the JSON of every command that prints data
// (docs/output.md describes them): each document starts with apiVersion
// and kind, and the same thing has the same key everywhere (component,
// readiness, namespace). go test ./internal/report -update rewrites them.
func TestDocumentsGolden(t *testing.T) {
	updated := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"up.json", func(b *bytes.Buffer) error {
			return WriteUp(b, JSON, Up{Profile: "default", Version: "1.3.0", Context: "kind-slipway", Components: []Component{
				{Name: "traefik", Chart: "traefik", Version: "41.3.0", Namespace: "traefik", Release: "traefik", Action: "install", Status: "ready"},
				{Name: "jenkins", Chart: "jenkins", Version: "5.9.53", Namespace: "jenkins", Release: "jenkins", Action: "install", Status: "ready",
					URL: "http://jenkins.127.0.0.1.sslip.io", Username: "admin", Password: "********", Secret: "jenkins/slipway-jenkins-admin"},
			}, Notes: []string{"connect a repository: slipway up --gitops-repo URL"}})
		}},
		{"status.json", func(b *bytes.Buffer) error {
			return WriteStatus(b, JSON, []Status{
				{Component: "traefik", Namespace: "traefik", Release: "traefik", Chart: "traefik", Version: "41.3.0", Revision: 1, ReleaseStatus: "deployed", Updated: updated, Readiness: "ready", Profile: "default@1.3.0"},
				{Component: "jenkins", Namespace: "jenkins", Release: "jenkins", Chart: "jenkins", Version: "5.9.53", Revision: 2, ReleaseStatus: "deployed", Updated: updated, Readiness: "progressing", Reason: "statefulset jenkins/jenkins: 0/1 ready", URL: "http://jenkins.127.0.0.1.sslip.io", Profile: "default@1.3.0"},
			})
		}},
		{"diff.json", func(b *bytes.Buffer) error {
			return WriteDiff(b, JSON, Diff{Profile: "default", Version: "1.3.0", Context: "kind-slipway", Components: []ComponentDiff{
				{Component: "jenkins", Namespace: "jenkins", Release: "jenkins", Action: "upgrade", OldVersion: "5.9.52", NewVersion: "5.9.53", Values: []string{"controller.numExecutors: 0 → 2"}},
				{Component: "traefik", Namespace: "traefik", Release: "traefik", Action: "unchanged"},
			}})
		}},
		{"credentials.json", func(b *bytes.Buffer) error {
			return WriteCredentials(b, JSON, []Credential{{Component: "jenkins", Namespace: "jenkins", URL: "http://jenkins.127.0.0.1.sslip.io", Username: "admin", Password: "example-password"}})
		}},
		{"profiles.json", func(b *bytes.Buffer) error {
			return WriteProfiles(b, JSON, []ProfileSummary{{Name: "default", Versions: []string{"1.3.0", "1.2.0"}, Description: "Traefik, Jenkins, Argo CD"}})
		}},
		{"clusters.json", func(b *bytes.Buffer) error {
			return WriteClusters(b, JSON, []Cluster{{Name: "slipway", Context: "kind-slipway"}})
		}},
		{"cluster.json", func(b *bytes.Buffer) error {
			return WriteCluster(b, JSON, Cluster{Name: "dev", Context: "kind-dev"})
		}},
		{"images.json", func(b *bytes.Buffer) error {
			return WriteImages(b, JSON, []string{"docker.io/jenkins/jenkins:2.504.3-jdk21", "docker.io/traefik:v3.4.1"})
		}},
		{"down.json", func(b *bytes.Buffer) error {
			return WriteDown(b, JSON, DownResult{Context: "kind-slipway", Removed: []Removed{{Component: "argocd", Namespace: "argocd", Release: "argocd"}}, Skipped: []string{"flux"}, KeptCRDs: []string{"applications.argoproj.io"}})
		}},
		{"down-nothing.json", func(b *bytes.Buffer) error {
			return WriteDown(b, JSON, DownResult{Context: "kind-slipway"})
		}},
		{"version.json", func(b *bytes.Buffer) error {
			return WriteVersion(b, JSON, Version{Version: "v0.4.0", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-12-01T10:00:00Z",
				GoVersion: "go1.26.8", Platform: "linux/amd64", Helm: "v4.3.1", ClientGo: "v0.37.2", Profiles: []VersionProfile{{Name: "default", Version: "1.3.0"}}})
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			var head struct{ APIVersion, Kind string }
			if err := json.Unmarshal(b.Bytes(), &head); err != nil || head.APIVersion != APIVersion || head.Kind == "" {
				t.Errorf("document without apiVersion %s and a kind (%v):\n%s", APIVersion, err, b.String())
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./internal/report -update writes it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs (go test ./internal/report -update rewrites it after a deliberate change):\ngot:\n%s\nwant:\n%s", path, b.String(), want)
			}
		})
	}
}

// The table forms a script pipes stay what they were: names one a line.
func TestPlainLists(t *testing.T) {
	var b bytes.Buffer
	WriteImages(&b, Table, []string{"a:1", "b:2"})
	WriteClusters(&b, Table, []Cluster{{Name: "slipway"}})
	WriteCluster(&b, Table, Cluster{Name: "dev", Context: "kind-dev"})
	WriteDown(&b, Table, DownResult{Removed: []Removed{{Component: "x"}}})
	if b.String() != "a:1\nb:2\nslipway\nkind-dev\n" {
		t.Errorf("got %q", b.String())
	}
}
