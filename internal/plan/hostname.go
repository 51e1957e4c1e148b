package plan

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Hostname is <prefix>.<ip>.<domain>, the sslip.io convention. An IPv6
// address takes sslip.io's dashed form, every ':' a '-' ("::1" is
// "--1", "2a01:4f8:c17:b8f::2" is "2a01-4f8-c17-b8f--2": sslip.io's
// documented examples); dots would split it into labels no resolver
// reads back as an address.
func Hostname(prefix, ip, domain string) string {
	return strings.Join([]string{prefix, ipLabel(ip), strings.TrimPrefix(domain, ".")}, ".")
}

// ipLabel is ip as it goes into a hostname: IPv4 as it is (an
// IPv4-mapped IPv6 address as the IPv4 one), IPv6 canonical and dashed.
func ipLabel(ip string) string {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return ip
	case a.Is4In6():
		return a.Unmap().String()
	case a.Is6():
		return strings.ReplaceAll(a.String(), ":", "-")
	}
	return ip
}

// CheckIP says why ip cannot be the address of the hostnames, or nil: it
// must be one IPv4 or IPv6 address, without a zone. (--ip auto is
// resolved against the cluster before it gets here.)
func CheckIP(ip string) error {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return fmt.Errorf("--ip %q: not an IP address; pass an IPv4 address like 192.168.1.20, an IPv6 address like 2001:db8::1, or auto", ip)
	case a.Zone() != "":
		return fmt.Errorf("--ip %q: an address with a zone cannot be part of a hostname; pass it without %%%s", ip, a.Zone())
	}
	return nil
}

// dnsName is a DNS name: dot-separated labels of letters, digits and
// '-', neither starting nor ending with '-'.
var dnsName = regexp.MustCompile(`^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$`)

// CheckDomain says why domain cannot end the hostnames, or nil: it must
// be a DNS name (a leading dot is allowed, as Hostname drops it), short
// enough to leave room for the prefix and the address.
func CheckDomain(domain string) error {
	d := strings.TrimPrefix(domain, ".")
	if !dnsName.MatchString(d) || len(d) > 200 {
		return fmt.Errorf("--domain %q: not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io", domain)
	}
	return nil
}
