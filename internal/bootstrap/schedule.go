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
// its dependents when run returns nil (it is Ready), or earlier, when run
// calls installed and the release says dependentsStart: installed. A
// release whose need never opens is not run: skip is called with that
// need instead.
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
			installed := func() {
				if g.onApply {
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
	ch      chan struct{}
	once    sync.Once
	err     error
	onApply bool // open when the release is applied, not when it is Ready
}

func newGates(releases []plan.Release) map[string]*gate {
	gates := map[string]*gate{}
	for _, rel := range releases {
		gates[rel.Component] = &gate{ch: make(chan struct{}), onApply: opensOnInstall(rel)}
	}
	return gates
}

// opensOnInstall reports whether rel lets its dependents start once it is
// applied (dependentsStart: installed) rather than once it is Ready.
func opensOnInstall(rel plan.Release) bool { return rel.DependentsStart == profile.StartWhenInstalled }

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
// ", starts when traefik is installed".
func startsAfter(rel plan.Release, releases []plan.Release) string {
	onApply := map[string]bool{}
	for _, r := range releases {
		onApply[r.Component] = opensOnInstall(r)
	}
	var after []string
	for _, n := range rel.Needs {
		when := "Ready"
		if onApply[n] {
			when = "installed"
		}
		after = append(after, n+" is "+when)
	}
	if len(after) == 0 {
		return ""
	}
	return ", starts when " + strings.Join(after, " and ")
}
