package bootstrap

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/slipwayhq/slipway/internal/profile"
)

// overrides are the parsed -f and --set flags, per component, in order.
type overrides struct {
	files, sets map[string][]map[string]any
	passwords   map[string]passwordSource
}

// passwordSource is where a user-supplied password comes from.
type passwordSource struct {
	file             string // @FILE
	secretNS, secret string // secret:NAMESPACE/NAME
	secretKey        string // optional :KEY, default "password"
}

// parseOverrides parses every -f, --set and --password flag and reports
// all problems together. It reads the values files but nothing else.
func parseOverrides(o Options) (*overrides, error) {
	ov := &overrides{files: map[string][]map[string]any{}, sets: map[string][]map[string]any{}, passwords: map[string]passwordSource{}}
	var errs []error
	for _, s := range o.Sets {
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
		ov.sets[comp] = append(ov.sets[comp], m)
	}
	for _, f := range o.ValuesFiles {
		comp, path, ok := strings.Cut(f, "=")
		if !ok || comp == "" || path == "" {
			errs = append(errs, fmt.Errorf("-f %q: want COMPONENT=FILE, e.g. -f jenkins=jenkins-values.yaml", f))
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("-f %s: %w", f, err))
			continue
		}
		// Check the syntax first for a message with line and column, then
		// decode as Helm does (sigs.k8s.io/yaml), so values mean the same.
		kind, serr := profile.CheckYAML(data)
		switch {
		case serr != nil:
			errs = append(errs, fmt.Errorf("values file %s (for %s): not valid YAML: %s:%d:%d: %s", path, comp, path, serr.Line, serr.Column, serr.Message))
			continue
		case kind == "list" || kind == "scalar":
			errs = append(errs, fmt.Errorf("values file %s (for %s): the top level is a %s, want a map of chart values like `controller: {numExecutors: 2}`", path, comp, kind))
			continue
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(data, &m); err != nil {
			errs = append(errs, fmt.Errorf("values file %s (for %s) is not a YAML map: %v", path, comp, err))
			continue
		}
		ov.files[comp] = append(ov.files[comp], m)
	}
	for _, p := range o.Passwords {
		comp, src, ok := strings.Cut(p, "=")
		switch {
		case !ok || comp == "" || src == "":
			errs = append(errs, fmt.Errorf("--password %q: want COMPONENT=@FILE or COMPONENT=secret:NAMESPACE/NAME", redactValue(p)))
		case strings.HasPrefix(src, "@"):
			// Read now, so a missing file is reported before the cluster
			// is contacted; loadCredentials reads it again.
			if _, err := readPasswordFile(comp, src[1:]); err != nil {
				errs = append(errs, err)
				continue
			}
			ov.passwords[comp] = passwordSource{file: src[1:]}
		case strings.HasPrefix(src, "secret:"):
			ref, key, _ := strings.Cut(strings.TrimPrefix(src, "secret:"), ":")
			ns, name, ok := strings.Cut(ref, "/")
			if !ok || ns == "" || name == "" {
				errs = append(errs, fmt.Errorf("--password %s=%s: want secret:NAMESPACE/NAME[:KEY]", comp, src))
				continue
			}
			if key == "" {
				key = "password"
			}
			ov.passwords[comp] = passwordSource{secretNS: ns, secret: name, secretKey: key}
		default:
			// Never echo the value: it is probably the password itself.
			errs = append(errs, fmt.Errorf("--password %s=…: a password on the command line lands in shell history and process lists; put it in a file and pass %s=@FILE, or in a Secret and pass %s=secret:NAMESPACE/NAME", comp, comp, comp))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, asInput(err)
	}
	return ov, nil
}

func redactValue(p string) string {
	if comp, _, ok := strings.Cut(p, "="); ok {
		return comp + "=…"
	}
	return p
}

// readPasswordFile reads a user-supplied password file; one trailing
// newline is dropped (echo adds one).
func readPasswordFile(comp, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", asInput(fmt.Errorf("--password %s=@%s: %w", comp, path, err))
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if len(pw) < 8 {
		return "", asInput(fmt.Errorf("--password %s=@%s: the password is shorter than 8 characters", comp, path))
	}
	return pw, nil
}
