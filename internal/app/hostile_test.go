package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// TestHostileInputCatalogue is the bad-input catalogue of issue 17: input
// that parses but cannot work, or that tries to make slipway leak or
// trust something. Every case exits 2 before a cluster is contacted, so
// nothing is installed (the kubeconfig's server is a closed port anyway).
func TestHostileInputCatalogue(t *testing.T) {
	cases := []badInput{
		// Item 10: errors do not echo files that are not profiles.
		{name: "a token file as --profile is not echoed",
			args:  []string{"up", "--profile", "{dir}/token-file"},
			files: map[string]string{"token-file": "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n"},
			code:  2,
			want:  `invalid profile: {dir}/token-file:1: a profile is a YAML mapping, got plain text (not shown): is this a profile file?`},
		{name: "profiles show of a passwd-like file is not echoed",
			args:  []string{"profiles", "show", "{dir}/passwd"},
			files: map[string]string{"passwd": "root:x:0:0:root:/root:/bin/bash\nci:x:1000:1000:ghp_0123456789abcdef:/home/ci:/bin/sh\n"},
			code:  2,
			want:  `invalid profile: {dir}/passwd:1: a profile is a YAML mapping, got plain text (not shown): is this a profile file?`},

		// Item 8: values that cannot work.
		{name: "--password file longer than bcrypt takes",
			args:  []string{"up", "--password", "jenkins=@{dir}/longpw"},
			files: map[string]string{"longpw": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"},
			code:  2,
			want:  `--password jenkins=@{dir}/longpw: the password is longer than 72 bytes, all bcrypt can hash; use a shorter one`},
		{name: "--ip with trailing words",
			args: []string{"up", "--ip", "1.2.3.4 evil"},
			code: 2,
			want: `--ip "1.2.3.4 evil": not an IP address; pass an IPv4 address like 192.168.1.20, an IPv6 address like 2001:db8::1, or auto`},
		{name: "--ip out of range",
			args: []string{"up", "--ip", "999.1.1.1"},
			code: 2,
			want: `--ip "999.1.1.1": not an IP address; pass an IPv4 address like 192.168.1.20, an IPv6 address like 2001:db8::1, or auto`},
		{name: "--domain empty",
			args: []string{"up", "--domain", ""},
			code: 2,
			want: `--domain "": not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io`},
		{name: "--domain a path",
			args: []string{"up", "--domain", "../x"},
			code: 2,
			want: `--domain "../x": not a DNS name; pass a wildcard DNS domain like sslip.io or nip.io`},
		{name: "--timeout negative",
			args: []string{"up", "--timeout=-5s"},
			code: 2,
			want: `--timeout -5s: the time to wait must be positive, e.g. --timeout 20m`},
		{name: "--timeout zero",
			args: []string{"up", "--timeout", "0s"},
			code: 2,
			want: `--timeout 0s: the time to wait must be positive, e.g. --timeout 20m`},
		{name: "--timeout negative with --create-cluster creates nothing",
			args: []string{"up", "--create-cluster", "--timeout=-5s"},
			code: 2,
			want: `--timeout -5s: the time to wait must be positive, e.g. --timeout 20m`},
		{name: "profile values that cannot work",
			args: []string{"up", "--profile", "{dir}/cannotwork.yaml"},
			files: map[string]string{"cannotwork.yaml": `apiVersion: slipway.dev/v1alpha1
kind: Profile
name: web
version: 1.0.0
description: values that parse but cannot work
components:
- name: web
  chart: {repo: https://example.com/charts, name: web, version: "~1.0"}
  namespace: kube-system
  credentials: {length: 80, digits: -10, inject: {bcrypt: [admin.hash]}}
`},
			code: 2,
			want: `invalid profile: 3 problems:
  {dir}/cannotwork.yaml:9: components[0].namespace: "kube-system" belongs to Kubernetes: give the component a namespace of its own (down deletes it)
  {dir}/cannotwork.yaml:10: components[0].credentials.length: 80 is too long: at most 72 (bcrypt reads only the first 72 bytes)
  {dir}/cannotwork.yaml:10: components[0].credentials.digits: -10 is negative: say how many digits, or leave it out for 4`},

		// Item 9: a --charts-dir archive is what its Chart.yaml says.
		{name: "--charts-dir archive holding another chart",
			args: []string{"up", "--dry-run", "--profile", "{dir}/ciserver.yaml", "--charts-dir", "{dir}/cdir"},
			code: 2,
			want: `component web: --charts-dir: {dir}/cdir/ciserver-1.9.9.tgz holds chart evil@0.1.0 (its Chart.yaml), not what its file name says; rename it evil-0.1.0.tgz or remove it`},

		// Item 3: no symlinks in chart directories.
		{name: "profile chart directory with a symlinked template",
			args: []string{"up", "--dry-run", "--profile", "{dir}/linked.yaml"},
			code: 2,
			want: `component web: chart directory {dir}/linked: {dir}/linked/templates/rbac.yaml is a symlink; a chart directory may hold only regular files and directories (Helm would follow a link its digest does not cover): replace it with the file itself`},
		{name: "--charts-dir chart directory with a symlinked template",
			args: []string{"up", "--dry-run", "--profile", "{dir}/ciserver.yaml", "--charts-dir", "{dir}/ldir"},
			code: 2,
			want: `component web: chart directory {dir}/ldir/ciserver: {dir}/ldir/ciserver/templates/rbac.yaml is a symlink; a chart directory may hold only regular files and directories (Helm would follow a link its digest does not cover): replace it with the file itself`},

		// Item 4: no unbounded reads (/dev/zero never ends).
		{name: "--locked that never ends",
			args: []string{"up", "--locked", "/dev/zero"},
			code: 2,
			want: `lock file /dev/zero is larger than 1 MiB, the most slipway reads of it`},
		{name: "--profile that never ends",
			args: []string{"up", "--profile", "/dev/zero"},
			code: 2,
			want: `profile file /dev/zero is larger than 1 MiB, the most slipway reads of it`},
		{name: "values file that never ends",
			args: []string{"up", "-f", "jenkins=/dev/zero"},
			code: 2,
			want: `-f jenkins=/dev/zero: /dev/zero is larger than 16 MiB, the most slipway reads of it`},
	}
	c := newCatalogue(t)
	c.profile(t, "linked.yaml", `{path: linked, version: "*"}`)
	linkedChart(t, filepath.Join(c.dir, "linked"), "web", c.write(t, "outside.yaml", "kind: ClusterRoleBinding\n"))
	linkedChart(t, filepath.Join(c.dir, "ldir", "ciserver"), "ciserver", filepath.Join(c.dir, "outside.yaml"))
	c.profile(t, "ciserver.yaml", `{repo: https://example.com/charts, name: ciserver, version: "*"}`)
	saveChart(t, filepath.Join(c.dir, "cdir"), "evil", "0.1.0", "ciserver-1.9.9.tgz")
	c.run(t, cases)
}

// linkedChart writes chart name at dir whose templates/rbac.yaml is a
// symlink to target.
func linkedChart(t *testing.T, dir, name, target string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: "+name+"\nversion: 1.0.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "templates", "rbac.yaml")); err != nil {
		t.Fatal(err)
	}
}

// saveChart packages an empty chart name@version into dir as file.
func saveChart(t *testing.T, dir, name, version, file string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ch := &chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: name, Version: version}}
	p, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p, filepath.Join(dir, file)); err != nil {
		t.Fatal(err)
	}
}

// TestIPv6Hostname: --ip with an IPv6 address gives sslip.io's dashed
// form in the rendered values (issue 17, item 8: --ip ::1 gave
// http://jenkins.::1.sslip.io), spelt canonically whatever the flag's case.
func TestIPv6Hostname(t *testing.T) {
	c := newCatalogue(t)
	dir := filepath.Join(c.dir, "web")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o700); err != nil {
		t.Fatal(err)
	}
	c.write(t, "web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
	c.write(t, "web/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {host: \"{{ .Values.host }}\"}\n")
	p := c.write(t, "v6.yaml", `apiVersion: slipway.dev/v1alpha1
kind: Profile
name: web
version: 1.0.0
description: one chart with a host
components:
- name: web
  chart: {path: web, version: "*"}
  namespace: web
  host: {prefix: jenkins, paths: [host]}
`)
	for ip, want := range map[string]string{"::1": "jenkins.--1.sslip.io", "2001:DB8:0::1": "jenkins.2001-db8--1.sslip.io"} {
		var out, errb bytes.Buffer
		code := Run(context.Background(), []string{"slipway", "template", "--profile", p, "--ip", ip}, strings.NewReader(""), &out, &errb)
		if code != 0 || !strings.Contains(out.String(), `host: "`+want+`"`) {
			t.Errorf("--ip %s: exit %d, want the host %s in:\n%s\n%s", ip, code, want, out.String(), errb.String())
		}
	}
}
