package plan

import "testing"

// TestHostname: sslip.io reads an IPv6 address only in its dashed form
// (issue 17, item 8: --ip ::1 used to give jenkins.::1.sslip.io).
func TestHostname(t *testing.T) {
	for _, tc := range []struct{ ip, domain, want string }{
		{"127.0.0.1", "sslip.io", "jenkins.127.0.0.1.sslip.io"},
		{"::1", "sslip.io", "jenkins.--1.sslip.io"},
		{"2001:db8::1", "sslip.io", "jenkins.2001-db8--1.sslip.io"},
		{"2A01:4F8:C17:B8F::2", ".sslip.io", "jenkins.2a01-4f8-c17-b8f--2.sslip.io"},
		{"::ffff:10.0.0.1", "nip.io", "jenkins.10.0.0.1.nip.io"},
	} {
		if got := Hostname("jenkins", tc.ip, tc.domain); got != tc.want {
			t.Errorf("Hostname(jenkins, %s, %s) = %s, want %s", tc.ip, tc.domain, got, tc.want)
		}
	}
}

func TestCheckIPAndDomain(t *testing.T) {
	for ip, want := range map[string]string{
		"1.2.3.4":      "",
		"::1":          "",
		"1.2.3.4 evil": `--ip "1.2.3.4 evil": not an IP address; pass an IPv4 address like 192.168.1.20, an IPv6 address like 2001:db8::1, or auto`,
		"999.1.1.1":    `--ip "999.1.1.1": not an IP address; pass an IPv4 address like 192.168.1.20, an IPv6 address like 2001:db8::1, or auto`,
		"fe80::1%eth0": `--ip "fe80::1%eth0": an address with a zone cannot be part of a hostname; pass it without %eth0`,
	} {
		if got := errString(CheckIP(ip)); got != want {
			t.Errorf("CheckIP(%q) = %s, want %s", ip, got, want)
		}
	}
	for d, want := range map[string]string{
		"sslip.io":  "",
		".nip.io":   "",
		"":          `--domain "": not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io`,
		"../x":      `--domain "../x": not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io`,
		"a..b":      `--domain "a..b": not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io`,
		"-x.io":     `--domain "-x.io": not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io`,
		"x.io/evil": `--domain "x.io/evil": not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io`,
	} {
		if got := errString(CheckDomain(d)); got != want {
			t.Errorf("CheckDomain(%q) = %s, want %s", d, got, want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
