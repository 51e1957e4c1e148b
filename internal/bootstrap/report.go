package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slipway-dev/slipway/internal/credentials"
	"github.com/slipway-dev/slipway/internal/inventory"
	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/plan"
	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/internal/report"
	"github.com/slipway-dev/slipway/internal/ui"
)

// Report statuses.
const (
	statusReady    = "ready"
	statusFailed   = "failed"
	statusNotReady = "not-ready"
	statusSkipped  = "skipped"
	statusPlanned  = "planned"
)

const maskedPassword = credentials.Mask

// newReport makes one row per release, in plan order, before anything
// happens, so that a failure still reports every component's state.
func newReport(p *Prepared) *report.Up {
	rep := &report.Up{Profile: p.Plan.Profile, Version: p.Plan.Version, DryRun: p.Options.DryRun, Notes: notes(p)}
	if p.Cluster != nil {
		rep.Context = p.Cluster.Context
	}
	for _, rel := range p.Plan.Releases {
		rep.Components = append(rep.Components, report.Component{
			Name: rel.Component, Chart: rel.Chart.Name, Version: rel.Chart.Version,
			Namespace: rel.Namespace, Release: rel.Name, URL: rel.URL, Warning: rel.Warning,
			Status: statusPlanned,
		})
	}
	return rep
}

// finishReport fills each row from its release's outcome and returns the
// run's error: every component's failure joined, a readiness timeout
// marked as such. Passwords are printed only in the report of a
// successful up (and by `slipway credentials`).
func finishReport(ctx context.Context, rep *report.Up, p *Prepared, results map[string]error, done map[string]installed, printer *ui.Printer) error {
	var errs []error
	timedOut := false
	for i := range rep.Components {
		row := &rep.Components[i]
		err, out := results[row.Name], done[row.Name]
		var sk skipped
		switch {
		case err == nil:
			row.Status = statusReady
		case errors.As(err, &sk):
			row.Status = statusSkipped
		case errors.Is(err, outcome.ErrTimeout):
			row.Status, timedOut = statusNotReady, true
		default:
			row.Status = statusFailed
		}
		if out.action != "" {
			row.Action = string(out.action)
		}
		cred, ok := p.Credentials[row.Name]
		if out.cred != nil {
			cred, ok = *out.cred, true
		}
		if ok {
			row.Username, row.Password, row.Secret = cred.Username, cred.Password, cred.Namespace+"/"+cred.Secret
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		printer.Infof("platform ready in %s", time.Since(p.Started).Round(100*time.Millisecond))
		return nil
	}
	for i := range rep.Components {
		if rep.Components[i].Password != "" {
			rep.Components[i].Password = maskedPassword
		}
	}
	rep.Notes = append(rep.Notes, "passwords are hidden because the platform is not ready; `slipway credentials` prints them")
	err := errors.Join(errs...)
	if timedOut && ctx.Err() == nil {
		return fmt.Errorf("not ready within --timeout %s:\n%w", p.Options.Timeout, err)
	}
	return err
}

// notes are hints for the report: an idle GitOps agent says how to
// connect a repository.
func notes(p *Prepared) []string {
	if p.Options.GitOpsRepo != "" {
		return nil
	}
	for _, c := range p.Profile.Components {
		if c.Group == "gitops" {
			return []string{"The GitOps agent is installed and idle. Point it at a repository with:\n  slipway up --gitops-repo URL [--gitops-path PATH] [--gitops-revision BRANCH]"}
		}
	}
	return nil
}

// inventoryEntries are the inventory records of every release of p.
func inventoryEntries(p *Prepared) []inventory.Entry {
	var out []inventory.Entry
	for _, rel := range p.Plan.Releases {
		e := inventory.Entry{
			Component: rel.Component, Namespace: rel.Namespace, Release: rel.Name,
			Chart: rel.Chart.Name, Version: rel.Chart.Version, Needs: rel.Needs,
			Secret: rel.Secret, URL: rel.URL,
			Generated: append(generatedNames(rel.Generated), repoAuthSecret(p, rel.Component)...),
			Profile:   p.Plan.Profile, ProfileVersion: p.Plan.Version,
		}
		if c := p.component(rel.Component); c != nil && c.Credentials != nil {
			e.BcryptPaths, e.MtimePaths = c.Credentials.Inject.Bcrypt, c.Credentials.Inject.BcryptMtime
		}
		// The docker-registry Secret of --registry-username: down removes
		// it whether or not this run was given one (it is gone, or kept
		// from an earlier run).
		if c := p.component(rel.Component); c != nil && c.Pipeline != nil {
			e.Generated = append(e.Generated, c.Pipeline.SecretName)
		}
		if c := p.component(rel.Component); c != nil && c.Registry != nil {
			e.InCluster = plan.InClusterRegistry(*c)
		}
		out = append(out, e)
	}
	return out
}

func generatedNames(gs []profile.GeneratedSecret) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}
