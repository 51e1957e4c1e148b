// Package gitauth owns the credential the GitOps agent uses to pull a
// private repository (--gitops-username with --gitops-password, or
// --gitops-ssh-key with --gitops-known-hosts).
//
// Check validates the flags and reads the files before anything is
// planned or installed: a password comes from a file or a Secret, never
// the command line; an SSH key must be a private key without a
// passphrase, readable by its owner only (as ssh itself requires); host
// keys are required and must name the repository's host, because host
// key checking is never turned off.
//
// The credential is stored in a Secret slipway owns, in the form the agent
// reads (ArgoSecret, FluxSecret), labelled like every credential Secret
// slipway makes plus LabelKind. Ensure creates it once and keeps it: a
// re-run with the same credential changes nothing, one without the flags
// keeps using it, and different credentials are refused with the command
// that replaces them. The password or key never enters Helm values or
// release history; only the Secret's name (Flux's secretRef) and the host
// keys (Argo CD's argocd-ssh-known-hosts-cm, which its chart owns) do.
package gitauth
