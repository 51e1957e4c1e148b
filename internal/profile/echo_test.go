package profile

import (
	"strings"
	"testing"
)

// TestErrorsDoNotEchoFiles: `--profile ./token-file` and `profiles show
// /etc/passwd` (issue 17, item 10) used to print the file's contents in
// the error. A file that is not a profile is described, never quoted; a
// value quoted from a profile is cut to a short excerpt beside its
// position.
func TestErrorsDoNotEchoFiles(t *testing.T) {
	const token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"
	cases := []struct{ name, data, want string }{
		{"token file", token + "\n",
			`invalid profile: token-file:1: a profile is a YAML mapping, got plain text (not shown): is this a profile file?`},
		{"passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:" + token + ":/usr/sbin:/usr/sbin/nologin\n",
			`invalid profile: token-file:1: a profile is a YAML mapping, got plain text (not shown): is this a profile file?`},
		{"token as apiVersion", "apiVersion: " + token + "\nkind: Profile\n",
			`invalid profile: token-file:1: apiVersion: unsupported apiVersion "ghp_0123456789abcdefghij…" and kind "Profile": this slipway reads apiVersion: slipway.dev/v1alpha1, kind: Profile`},
		{"token as a key", "apiVersion: slipway.dev/v1alpha1\nkind: Profile\n" + token + ": x\n",
			`invalid profile: token-file:3: ghp_0123456789abcdefghij…: unknown field "ghp_0123456789abcdefghij…" (known: apiVersion, kind, name, version, description, choices, components)`},
		{"token where a number goes", "apiVersion: slipway.dev/v1alpha1\nkind: Profile\nname: x\nversion: 1.0.0\ndescription: d\ncomponents:\n- name: a\n  chart: {path: x, version: '1'}\n  namespace: a\n  credentials: {length: " + token + "}\n",
			"invalid profile: token-file: construct errors: line 10: cannot construct !!str `ghp_012...` into int"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("token-file", []byte(tc.data))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if msg != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", msg, tc.want)
			}
			if strings.Contains(msg, token) {
				t.Errorf("the error carries the token:\n%s", msg)
			}
		})
	}
}
