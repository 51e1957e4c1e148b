package bootstrap

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
)

// recorder logs what the scheduler did, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) index(e string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Index(r.events, e)
}

// within fails the test if ch is not closed in time: a guard against a
// scheduler that deadlocks, not a timing assertion.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s never happened", what)
	}
}

func rel(name string, needs ...string) plan.Release {
	return plan.Release{Component: name, Needs: needs}
}

// TestScheduleRunsIndependentReleasesAtOnce: two releases without needs
// are both running before either finishes.
func TestScheduleRunsIndependentReleasesAtOnce(t *testing.T) {
	started := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	other := map[string]string{"a": "b", "b": "a"}
	results := schedule([]plan.Release{rel("a"), rel("b")}, func(r plan.Release, _ func()) error {
		close(started[r.Component])
		within(t, started[other[r.Component]], r.Component+" seeing "+other[r.Component]+" start")
		return nil
	}, func(plan.Release, string) { t.Error("nothing should be skipped") })
	if results["a"] != nil || results["b"] != nil || len(results) != 2 {
		t.Errorf("results %v", results)
	}
}

// TestScheduleNeeds: a release starts only after what it needs is Ready;
// one whose need says dependentsStart: installed starts once that need is
// applied, while the need still waits for readiness.
func TestScheduleNeeds(t *testing.T) {
	var rec recorder
	ingress := rel("ingress")
	ingress.DependentsStart = profile.StartWhenInstalled
	ciStarted := make(chan struct{})
	releases := []plan.Release{rel("gitops", "ci"), rel("ci", "ingress"), ingress}
	results := schedule(releases, func(r plan.Release, installed func()) error {
		rec.add(r.Component + " start")
		switch r.Component {
		case "ingress":
			installed()
			// ci starts on "installed": ingress stays not Ready until ci
			// has started, which proves the gate opened early.
			within(t, ciStarted, "ci starting while ingress is not Ready")
		case "ci":
			close(ciStarted)
		}
		rec.add(r.Component + " ready")
		return nil
	}, func(plan.Release, string) { t.Error("nothing should be skipped") })
	for c, err := range results {
		if err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	if !(rec.index("ci start") < rec.index("ingress ready") && rec.index("ci ready") < rec.index("gitops start")) {
		t.Errorf("order %v: want ci to start before ingress is ready (installed gate) and gitops only after ci is ready", rec.events)
	}
}

// TestScheduleStartsWithIt: a need that says dependentsStart: started
// lets its dependents start as it starts, before it is applied, and its
// failure is its own; but one that never starts (its own need failed)
// still holds its dependents back.
func TestScheduleStartsWithIt(t *testing.T) {
	var rec recorder
	ingress := rel("ingress")
	ingress.DependentsStart = profile.StartWithIt
	ciStarted := make(chan struct{})
	boom := errors.New("ingress: install failed")
	releases := []plan.Release{rel("ci", "ingress"), ingress}
	results := schedule(releases, func(r plan.Release, installed func()) error {
		rec.add(r.Component + " start")
		switch r.Component {
		case "ingress":
			// Neither applied nor Ready until ci has started.
			within(t, ciStarted, "ci starting before ingress is applied")
			return boom
		case "ci":
			close(ciStarted)
		}
		return nil
	}, func(plan.Release, string) { t.Error("nothing should be skipped") })
	if !errors.Is(results["ingress"], boom) || results["ci"] != nil {
		t.Errorf("results %v: want ingress's failure and ci done", results)
	}

	base := rel("base")
	mid := rel("mid", "base")
	mid.DependentsStart = profile.StartWithIt
	releases = []plan.Release{rel("leaf", "mid"), mid, base}
	var mu sync.Mutex
	skips := map[string]string{}
	results = schedule(releases, func(r plan.Release, installed func()) error {
		if r.Component == "base" {
			return errors.New("base: install failed")
		}
		t.Errorf("%s ran: want it skipped", r.Component)
		return nil
	}, func(r plan.Release, need string) {
		mu.Lock()
		skips[r.Component] = need
		mu.Unlock()
	})
	if len(skips) != 2 || skips["mid"] != "base" || skips["leaf"] != "mid" || results["leaf"] == nil {
		t.Errorf("skipped %v, results %v: want mid skipped for base and leaf for mid", skips, results)
	}
}

// TestScheduleSkipsDependentsOfAFailure: a failed release's dependents,
// direct and transitive, are skipped with the need that blocked them, and
// independent releases still run.
func TestScheduleSkipsDependentsOfAFailure(t *testing.T) {
	var rec recorder
	boom := errors.New("ci: install failed")
	releases := []plan.Release{rel("ingress"), rel("ci", "ingress"), rel("gitops", "ci"), rel("other")}
	ingress := &releases[0]
	ingress.DependentsStart = profile.StartWhenInstalled
	var mu sync.Mutex
	skips := map[string]string{}
	results := schedule(releases, func(r plan.Release, installed func()) error {
		rec.add(r.Component)
		if r.Component == "ci" {
			installed() // ci's gate is "Ready": this must not let gitops start
			return boom
		}
		return nil
	}, func(r plan.Release, need string) {
		mu.Lock()
		skips[r.Component] = need
		mu.Unlock()
	})
	if !errors.Is(results["ci"], boom) || results["ingress"] != nil || results["other"] != nil {
		t.Errorf("results %v", results)
	}
	if got := results["gitops"]; got == nil || got.Error() != "gitops: skipped because ci is not ready" {
		t.Errorf("gitops: %v", got)
	}
	if rec.index("gitops") >= 0 || len(skips) != 1 || skips["gitops"] != "ci" {
		t.Errorf("ran %v, skipped %v: want gitops skipped for ci and never run", rec.events, skips)
	}
}

func TestStartsAfter(t *testing.T) {
	ingress := rel("ingress")
	ingress.DependentsStart = profile.StartWhenInstalled
	names := rel("names")
	names.DependentsStart = profile.StartWithIt
	releases := []plan.Release{ingress, rel("ci", "ingress"), rel("gitops", "ingress", "ci"), names, rel("app", "names"), rel("web", "names", "ci")}
	for _, tc := range []struct {
		rel  plan.Release
		want string
	}{
		{releases[0], ""},
		{releases[1], ", starts when ingress is installed"},
		{releases[2], ", starts when ingress is installed and ci is Ready"},
		{releases[4], ""}, // starts with names: nothing to wait for
		{releases[5], ", starts when ci is Ready"},
	} {
		if got := startsAfter(tc.rel, releases); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.rel.Component, got, tc.want)
		}
	}
}
