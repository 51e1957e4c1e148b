package bootstrap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/slipwayhq/slipway/internal/credentials"
	"github.com/slipwayhq/slipway/internal/outcome"
	"github.com/slipwayhq/slipway/internal/values"
)

// overrides are the parsed -f, --set and --password flags, per component.
type overrides struct {
	values.Overrides
	passwords map[string]passwordSource
}

// passwordSource is where a user-supplied password comes from.
type passwordSource struct {
	file             string // @FILE
	secretNS, secret string // secret:NAMESPACE/NAME
	secretKey        string // optional :KEY, default "password"
}

// parseOverrides parses every -f, --set and --password flag and reports
// all problems together. It reads the values and password files but
// nothing else.
func parseOverrides(o Options) (*overrides, error) {
	vals, err := values.ParseFlags(o.Sets, o.ValuesFiles)
	ov := &overrides{Overrides: vals, passwords: map[string]passwordSource{}}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range o.Passwords {
		comp, src, ok := strings.Cut(p, "=")
		switch {
		case !ok || comp == "" || src == "":
			errs = append(errs, fmt.Errorf("--password %q: want COMPONENT=@FILE or COMPONENT=secret:NAMESPACE/NAME", redactValue(p)))
		case strings.HasPrefix(src, "@"):
			// Read now, so a missing file is reported before the cluster
			// is contacted; loadCredentials reads it again.
			if _, err := credentials.ReadPasswordFile(comp, src[1:]); err != nil {
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
		return nil, outcome.Input(err)
	}
	return ov, nil
}

func redactValue(p string) string {
	if comp, _, ok := strings.Cut(p, "="); ok {
		return comp + "=…"
	}
	return p
}
