{{- define "registry.labels" -}}
app.kubernetes.io/name: registry
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "registry.selector" -}}
app.kubernetes.io/name: registry
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The one in-cluster name of the registry: host:port. */}}
{{- define "registry.inCluster" -}}
{{ printf "%s.%s.svc.cluster.local:%v" .Release.Name .Release.Namespace .Values.service.port }}
{{- end }}
