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

{{/*
Seconds of a Go-style duration the values schema admits (`90s`, `5m`, `1h30m`).
*/}}
{{- define "catalyst-guard.seconds" -}}
{{- $d := toString . -}}
{{- $h := regexFind "[0-9]+h" $d | trimSuffix "h" | default "0" | int64 -}}
{{- $m := regexFind "[0-9]+m" $d | trimSuffix "m" | default "0" | int64 -}}
{{- $s := regexFind "[0-9]+s" $d | trimSuffix "s" | default "0" | int64 -}}
{{- add (mul $h 3600) (mul $m 60) $s -}}
{{- end }}

{{/*
The job refuses a suspend pause over 5m, or one that with 30 s for the API calls does
not fit in the Job's deadline (it would be killed with HelmReleases left suspended):
refuse both at install time instead, where someone is watching. 5s is the job's
default pause. host/tests/chart.rs checks that both rules agree with the job's.
*/}}
{{- define "catalyst-guard.checkDeadline" -}}
{{- $pause := include "catalyst-guard.seconds" (.Values.config.suspendPause | default "5s") | int64 -}}
{{- $deadline := .Values.activeDeadlineSeconds | int64 -}}
{{- if gt $pause 300 -}}
{{- fail (printf "config.suspendPause `%s` is longer than 5m" (.Values.config.suspendPause | toString)) -}}
{{- end -}}
{{- if gt (add $pause 30) $deadline -}}
{{- fail (printf "config.suspendPause `%s` plus 30s for the API calls does not fit in activeDeadlineSeconds `%d`: shorten the pause or raise the deadline" (.Values.config.suspendPause | toString) $deadline) -}}
{{- end -}}
{{- end }}
