package values

import (
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/internal/limit"
	"github.com/slipway-dev/slipway/internal/profile"
)

// Overrides are the user's -f and --set values, per component, in the
// order given (later layers win).
type Overrides struct {
	Files, Sets map[string][]map[string]any
}

// Components lists every component an override names, for checking them
// against a profile.
func (o Overrides) Components() []string {
	var out []string
	for _, m := range []map[string][]map[string]any{o.Files, o.Sets} {
		for comp := range m {
			out = append(out, comp)
		}
	}
	return out
}

// ParseFlags parses every --set (COMPONENT.KEY=VALUE) and -f
// (COMPONENT=FILE) flag and reports all problems together. It reads the
// values files and nothing else. Every error it returns is the user's
// input.
func ParseFlags(sets, files []string) (Overrides, error) {
	ov := Overrides{Files: map[string][]map[string]any{}, Sets: map[string][]map[string]any{}}
	var errs []error
	for _, s := range sets {
		comp, expr, ok := strings.Cut(s, ".")
		if !ok || comp == "" || !strings.Contains(expr, "=") {
			errs = append(errs, fmt.Errorf("--set %q: want COMPONENT.KEY=VALUE, e.g. --set jenkins.controller.numExecutors=2", s))
			continue
		}
		m := map[string]any{}
		if err := strvals.ParseInto(expr, m); err != nil {
			errs = append(errs, fmt.Errorf("--set %q: %v", s, err))
			continue
		}
		ov.Sets[comp] = append(ov.Sets[comp], m)
	}
	for _, f := range files {
		comp, path, ok := strings.Cut(f, "=")
		if !ok || comp == "" || path == "" {
			errs = append(errs, fmt.Errorf("-f %q: want COMPONENT=FILE, e.g. -f jenkins=jenkins-values.yaml", f))
			continue
		}
		m, err := readFile(comp, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ov.Files[comp] = append(ov.Files[comp], m)
	}
	return ov, errors.Join(errs...)
}

// readFile reads one values file. The syntax is checked first, for a
// message with line and column, then the file is decoded as Helm does
// (sigs.k8s.io/yaml), so values mean the same as with helm -f.
func readFile(comp, path string) (map[string]any, error) {
	data, err := limit.ReadFile(path, limit.Values, "")
	if err != nil {
		return nil, fmt.Errorf("-f %s=%s: %w", comp, path, err)
	}
	kind, serr := profile.CheckYAML(data)
	switch {
	case serr != nil:
		return nil, fmt.Errorf("values file %s (for %s): not valid YAML: %s:%d:%d: %s", path, comp, path, serr.Line, serr.Column, serr.Message)
	case kind == "list" || kind == "scalar":
		return nil, fmt.Errorf("values file %s (for %s): the top level is a %s, want a map of chart values like `controller: {numExecutors: 2}`", path, comp, kind)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("values file %s (for %s) is not a YAML map: %v", path, comp, err)
	}
	return m, nil
}
