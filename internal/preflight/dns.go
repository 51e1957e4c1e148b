package preflight

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Resolver looks host names up; net.DefaultResolver is one.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// DNSTimeout bounds the whole hostname check.
const DNSTimeout = 1500 * time.Millisecond

// Hostnames checks that every host resolves to ip, all lookups at once
// and within timeout. It only ever warns (it returns the warning, "" when
// all is well): the platform works without DNS, and the warning says how
// to reach it anyway.
func Hostnames(ctx context.Context, r Resolver, ip string, hosts []string, timeout time.Duration) string {
	if len(hosts) == 0 {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	problems := make([]string, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			addrs, err := r.LookupHost(ctx, h)
			switch {
			case ctx.Err() != nil:
				problems[i] = fmt.Sprintf("%s: no answer within %s", h, timeout)
			case err != nil:
				problems[i] = fmt.Sprintf("%s: %v", h, err)
			case !slices.Contains(addrs, ip):
				problems[i] = fmt.Sprintf("%s resolves to %s", h, strings.Join(addrs, ", "))
			}
		})
	}
	wg.Wait()
	var bad []string
	for _, p := range problems {
		if p != "" {
			bad = append(bad, p)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("the hostnames do not resolve to %s (%s), so the URLs will not open from this machine. "+
		"sslip.io answers <anything>.<ip>.sslip.io with <ip>; if you are offline or your resolver blocks it (home routers' DNS-rebinding protection drops answers that point at private addresses; allow sslip.io there), add this line to /etc/hosts instead:\n  %s %s",
		ip, strings.Join(bad, "; "), ip, strings.Join(hosts, " "))
}
