{{/* The labels every object carries. */}}
{{- define "catalyst-guard.labels" -}}
app.kubernetes.io/name: catalyst-guard
app.kubernetes.io/component: stuck-hr-recovery
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The ServiceAccount the job runs as. */}}
{{- define "catalyst-guard.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default .Values.name }}
{{- end }}

{{/*
The image: `global.imageRegistry` (the platform's registry proxy) wins over
`image.registry`; a digest pins the image and replaces the tag.
*/}}
{{- define "catalyst-guard.image" -}}
{{- $registry := .Values.global.imageRegistry | default .Values.image.registry -}}
{{- $repository := printf "%s/%s" $registry .Values.image.repository | trimPrefix "/" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}
{{- end }}
