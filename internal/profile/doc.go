// Package profile is slipway's versioned profile format: which charts make
// the platform, their version constraints, namespaces, default values,
// hostnames and admin credentials, and how components depend on each other.
//
//	apiVersion: slipway.dev/v1alpha1
//	kind: Profile
//	name: default
//	version: 1.0.0
//	description: Traefik + Jenkins + Argo CD
//	choices: {ingress: traefik, gitops: argocd}   # default option per group
//	components:
//	- name: jenkins
//	  group: ""            # with option: one alternative of a group (ingress, gitops)
//	  chart: {repo: https://charts.jenkins.io, name: jenkins, version: "~5.9.0"}
//	  # or chart: {oci: oci://host/path/chart, version: ...}
//	  # or chart: {path: charts/gitops-wiring, version: ...}   (slipway's own, or relative to the file)
//	  namespace: jenkins
//	  release: jenkins     # default: name
//	  needs: [ingress]     # component or group names
//	  dependentsStart: ready   # or installed: dependents start once this is applied; or started: with it
//	  values: {...}        # default Helm values
//	  host: {prefix: jenkins, paths: [controller.ingress.hostName], classPaths: [controller.ingress.ingressClassName]}
//	  # host.urlPaths: [controller.jenkinsUrl] receive the printed URL, http://<hostname>
//	  credentials: {username: admin, inject: {existingSecret: [controller.admin.existingSecret]}}
//	  secrets: [{name: argocd-redis, key: auth}]   # made before the install if absent (in place of a chart's hook Job); never printed
//
// Decoding is strict (unknown fields are errors with their line) and
// Validate reports every problem at once, each with file and field path,
// so one run shows everything to fix. Profiles ship embedded (package
// profiles), one file per released version, so a name@version always
// means the same platform.
package profile
