{{/*
gitops-wiring.fluxRef renders a Flux GitRepository spec.ref from
repo.revision. Flux, unlike Argo CD's targetRevision, needs to be told which
kind of reference it is given, and a bare name cannot be told apart from a
tag without asking the repository, which rendering must not do. So the
revision says so itself, in Git's own spelling:
  refs/heads/X                 -> branch: X
  refs/tags/X                  -> tag: X
  any other refs/... (PRs)     -> name: refs/...
  40 hex (SHA-1) or 64 hex (SHA-256 repositories) -> commit
  anything else                -> branch
Argo CD takes every one of these forms as it is.
*/}}
{{- define "gitops-wiring.fluxRef" -}}
{{- $rev := . | toString -}}
{{- if regexMatch "^([0-9a-f]{40}|[0-9a-f]{64})$" $rev -}}
commit: {{ $rev | quote }}
{{- else if hasPrefix "refs/heads/" $rev -}}
branch: {{ trimPrefix "refs/heads/" $rev | quote }}
{{- else if hasPrefix "refs/tags/" $rev -}}
tag: {{ trimPrefix "refs/tags/" $rev | quote }}
{{- else if hasPrefix "refs/" $rev -}}
name: {{ $rev | quote }}
{{- else -}}
branch: {{ $rev | quote }}
{{- end -}}
{{- end -}}
