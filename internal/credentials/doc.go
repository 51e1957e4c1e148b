// Package credentials owns the admin passwords slipway generates for the
// components it installs.
//
// A password is generated here (crypto-random, github.com/sethvargo/go-password)
// before the chart is installed and stored in a Secret slipway owns in the
// component's namespace, labelled app.kubernetes.io/managed-by=slipway and
// slipway.dev/component=<name>. Charts are pointed at that Secret, or given a
// value derived from the password (a bcrypt hash), so the password itself
// never enters Helm values or release history where a chart can take a
// Secret.
//
// The Secret is the source of truth: Ensure reuses an existing one, so a
// re-run, an upgrade or a change of other values never rotates a password
// (only Rotate does). Reading back needs only `get` on those Secrets: the
// annotations say which keys hold the username and password and which URL
// the component answers on, so `slipway credentials` works from any machine
// with access to the cluster, without the profile that made it.
package credentials
