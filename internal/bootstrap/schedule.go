package bootstrap

import (
	"errors"
	"strings"
	"sync"

	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
)

// errNotReady is why dependents of a failed component do not start.
var errNotReady = errors.New("is not ready")

// schedule runs every release of the plan as soon as the releases it
// needs let it start, so the total time follows the depth of the needs
// graph rather than the number of components. A release's gate opens for
// its dependents when run returns nil (it is Ready); earlier, when run
// calls installed and the release says dependentsStart: installed; or as
// run is called, when it says dependentsStart: started. A release whose
// need never opens is not run: skip is called with that need instead.
//
// schedule knows nothing of Helm or the cluster: run does the work, so
// the order can be unit-tested with a fake.
func schedule(releases []plan.Release, run func(rel plan.Release, installed func()) error, skip func(rel plan.Release, need string)) map[string]error {
	gates := newGates(releases)
	var mu sync.Mutex
	results := map[string]error{}
	var wg sync.WaitGroup
	for _, rel := range releases {
		wg.Go(func() {
			g := gates[rel.Component]
			// On any way out but success, dependents never start.
			defer g.open(errNotReady)
			for _, n := range rel.Needs {
				if err := gates[n].wait(); err != nil {
					mu.Lock()
					results[rel.Component] = skipped{rel.Component, n, err}
					mu.Unlock()
					skip(rel, n)
					return
				}
			}
			if g.when == profile.StartWithIt {
				g.open(nil)
			}
			installed := func() {
				if g.when == profile.StartWhenInstalled {
					g.open(nil)
				}
			}
			err := run(rel, installed)
			if err == nil {
				g.open(nil)
			}
			mu.Lock()
			results[rel.Component] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	return results
}

// skipped is the outcome of a release whose need never opened.
type skipped struct {
	component, need string
	why             error
}

func (s skipped) Error() string {
	return s.component + ": skipped because " + s.need + " " + s.why.Error()
}

// gate lets the releases that need a component start. It opens once:
// with nil when they may start, with an error when they never will.
type gate struct {
	ch   chan struct{}
	once sync.Once
	err  error
	when string // the release's dependentsStart: "" (Ready), installed or started
}

func newGates(releases []plan.Release) map[string]*gate {
	gates := map[string]*gate{}
	for _, rel := range releases {
		gates[rel.Component] = &gate{ch: make(chan struct{}), when: rel.DependentsStart}
	}
	return gates
}

func (g *gate) open(err error) {
	g.once.Do(func() {
		g.err = err
		close(g.ch)
	})
}

func (g *gate) wait() error {
	<-g.ch
	return g.err
}

// startsAfter says what a queued release waits for, e.g.
// ", starts when traefik is installed". A need that lets its dependents
// start with it (dependentsStart: started) is not waited for.
func startsAfter(rel plan.Release, releases []plan.Release) string {
	when := map[string]string{}
	for _, r := range releases {
		when[r.Component] = r.DependentsStart
	}
	var after []string
	for _, n := range rel.Needs {
		switch when[n] {
		case profile.StartWithIt:
		case profile.StartWhenInstalled:
			after = append(after, n+" is installed")
		default:
			after = append(after, n+" is Ready")
		}
	}
	if len(after) == 0 {
		return ""
	}
	return ", starts when " + strings.Join(after, " and ")
}
