// Package bootstrap owns the order of `slipway up`:
//
//	lock (--locked, or a --bundle extracted and verified)
//	→ profile (load, select) → inputs (values files, --set, passwords)
//	→ charts (resolve every constraint to one version, or the lock's)
//	→ fetch (every chart to disk from the cache or its source, digests
//	  checked against the lock)
//	→ credentials (read existing, generate missing, in memory)
//	→ plan (pure: versions, values, hostnames, order)
//	→ apply (namespaces, Secrets, Helm upgrade-or-install; independent
//	  components in parallel, each as soon as its needs are ready)
//	→ wait (readiness with progress and diagnosis)
//	→ report (URLs and credentials), and --lock written on success.
//
// Everything that can be wrong with the input is found before the cluster
// is touched, so a bad flag or profile, a chart missing from the cache
// (--offline), a damaged bundle or a digest that differs from the lock
// never leaves a half-applied platform. Passwords are generated before any chart is installed and are
// never printed by this package: only the final report carries them.
package bootstrap
