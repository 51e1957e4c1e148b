// Package bootstrap owns `slipway up` and the commands that need what up
// decides before it changes anything: diff, template and the bundle
// commands. It also creates and deletes the kind clusters up can start
// with (--create-cluster). status, down and credentials rotate work from
// the cluster alone and live elsewhere.
//
// up reads as prepare → schedule → report:
//
//	prepare (prepare.go), nothing written:
//	  inputs (inputs.go, local only): lock (--locked, or a --bundle
//	    extracted and verified, against --locked too when both are
//	    given) → profile (load, select) → overrides
//	    (values files, --set, passwords) → chart sources
//	  → connect → address (--ip auto) → resolve charts → fetch charts
//	    (sources.go: every chart on disk, digests checked against the lock)
//	  → credentials (credentials.go: read existing, generate missing, in
//	    memory) → plan (package plan, pure) → preflight (preflight.go)
//	  It returns an immutable Prepared and the Deps that reach the cluster
//	  (deps.go: small interfaces for releases, Secrets, namespaces,
//	  readiness, served CRDs, the inventory, the clock and DNS).
//	schedule (schedule.go): a function over the plan's needs; a release
//	  starts once what it needs is Ready (or installed), independent ones
//	  at once. Each runs through the installer (install.go): namespace,
//	  Secrets, repair of a pending release, the CRDs its chart needs from
//	  another component's controller (crds.go), Helm upgrade-or-install or
//	  nothing when unchanged, then the readiness wait.
//	report (report.go): one row per release with its outcome; logins only
//	  when everything is ready. --lock is written on success.
//
// Diff (diff.go), Template (template.go) and BundleCreate/BundleImages
// (bundle.go) are short consumers of Prepared.
//
// Everything that can be wrong with the input is found before the cluster
// is touched, so a bad flag or profile, a chart missing from the cache
// (--offline), a damaged bundle or a digest that differs from the lock
// never leaves a half-applied platform. Passwords are generated before
// any chart is installed and are never printed by this package: only the
// final report carries them.
package bootstrap
