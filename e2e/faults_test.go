package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/e2e/chartsrv"
)

// The fast faults, part of make test. The slow ones (an API server outage,
// SIGKILL at random points) are in faults_long_test.go, built only with
// the faults tag (make test-faults).

// newRepo serves the fixture charts from a repository of the test's own,
// so that a fault injected into it touches no other test.
func newRepo(t *testing.T) *chartsrv.HTTPRepo {
	t.Helper()
	dir := t.TempDir()
	for _, p := range sources.packaged {
		data, err := os.ReadFile(p.Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p.Path)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := chartsrv.NewHTTPRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// freshCache gives slipway an empty chart cache for this test, so every
// chart is downloaded (and checked) again. The directory does not exist
// yet: slipway creates it, with its own permissions.
func freshCache(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv("SLIPWAY_CACHE_DIR", dir)
	return dir
}

// TestFaultRepositoryRecovers: the chart repository answers 500 twice,
// then recovers; up retries with backoff and succeeds.
func TestFaultRepositoryRecovers(t *testing.T) {
	freshCache(t)
	repo := newRepo(t)
	repo.FailNext(2, 500)
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, "fault-retry"),
		"--chart-mirror", repo.URL(), "--timeout", "2m", "-o", "json")
	if r.code != 0 {
		t.Fatalf("up exited %d after the repository recovered", r.code)
	}
	for _, c := range decodeUp(t, r).Components {
		if c.Status != "ready" {
			t.Errorf("%s is %s", c.Name, c.Status)
		}
	}
	// Two failures, then the index and the three archives.
	if n := repo.Requests(); n < 2+1+3 {
		t.Errorf("the repository saw %d requests; want the 2 failed ones retried, then the index and 3 charts", n)
	}
}

// TestFaultRepositoryDown: a repository that never recovers fails up with
// a message naming it and the number of tries, before anything is
// installed.
func TestFaultRepositoryDown(t *testing.T) {
	freshCache(t)
	repo := newRepo(t)
	repo.SetDown(true)
	r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, "fault-down"),
		"--chart-mirror", repo.URL(), "--timeout", "2m")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	want := "slipway: component ingress: repository " + repo.URL() + ": gave up after 4 tries: GET " + repo.URL() +
		"/index.yaml: 503 Service Unavailable; check that it is reachable, or use --chart-mirror URL or --charts-dir DIR\n"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks\n%s", want)
	}
	// Each component reports the failure, but the repository is tried
	// only 4 times in all, not 4 times per component.
	if n := repo.Requests(); n != 4 {
		t.Errorf("the repository saw %d requests, want 4", n)
	}
	assertNothingInstalled(t, "fault-down")
}

// TestFaultCorruptChart: a chart archive whose bytes are corrupted, and
// one that is not what index.yaml's digest says, are refused before
// anything is installed, though the corrupted chart is the second one to
// install (after the ingress).
func TestFaultCorruptChart(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		// body replaces ciserver-1.2.3.tgz; matchIndex updates the index.
		body       func(t *testing.T, repo *chartsrv.HTTPRepo) []byte
		matchIndex bool
		want       string
		// code: a damaged archive fails to load (1); one that is not what
		// the index published is refused before use, like a lock
		// mismatch (2, bad input: nothing was changed).
		code int
	}{
		{
			name: "corrupted archive", prefix: "fault-corrupt", matchIndex: true,
			body: func(t *testing.T, repo *chartsrv.HTTPRepo) []byte {
				good, err := repo.Archive("ciserver", "1.2.3")
				if err != nil {
					t.Fatal(err)
				}
				bad := bytes.Clone(good[:len(good)/2]) // a truncated upload
				return bad
			},
			want: "slipway: component ci: chart ciserver@1.2.3 from {repo}/ciserver-1.2.3.tgz is not a valid chart archive: ",
			code: 1,
		},
		{
			name: "digest mismatch", prefix: "fault-digest",
			body: func(t *testing.T, repo *chartsrv.HTTPRepo) []byte {
				other, err := repo.Archive("ciserver", "1.2.0") // a valid chart, not the one indexed
				if err != nil {
					t.Fatal(err)
				}
				return other
			},
			want: "slipway: component ci: chart ciserver@1.2.3 from {repo}/ciserver-1.2.3.tgz has digest sha256:",
			code: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			freshCache(t)
			repo := newRepo(t)
			if err := repo.ServeArchive("ciserver", "1.2.3", tc.body(t, repo), tc.matchIndex); err != nil {
				t.Fatal(err)
			}
			r := slipway(t, "up", "--kubeconfig", env.kubeconfig, "--profile", fixtureProfile(t, tc.prefix),
				"--chart-mirror", repo.URL(), "--timeout", "2m")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d", r.code, tc.code)
			}
			if want := strings.ReplaceAll(tc.want, "{repo}", repo.URL()); !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q", want)
			}
			if !tc.matchIndex && !strings.Contains(r.stderr, "but the repository published sha256:") {
				t.Errorf("the digest message does not name the published digest")
			}
			assertNothingInstalled(t, tc.prefix)
		})
	}
}
