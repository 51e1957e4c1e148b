{{- define "fixture.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}
{{- define "fixture.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- define "fixture.url" -}}
{{- $c := .Values.controller -}}
{{- if $c.jenkinsUrl -}}
{{ $c.jenkinsUrl }}
{{- else if $c.ingress.hostName -}}
{{ $c.jenkinsUrlProtocol | default (ternary "https" "http" (not (empty $c.ingress.tls))) }}://{{ $c.ingress.hostName }}
{{- else -}}
http://{{ .Release.Name }}-ciserver:8080
{{- end -}}
{{- end }}
