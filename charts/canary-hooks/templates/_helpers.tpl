{{/*
Every object keeps the name canary-hooks: the CRD, the ClusterRole and the
CompositeController are cluster-wide, and Metacontroller names its finalizer
on each Canary after the CompositeController, so a second release or another
name would fight the first over them.
*/}}
{{- define "canary-hooks.name" -}}canary-hooks{{- end -}}

{{/* The labels manifests/ carries; selectors use only app.kubernetes.io/name. */}}
{{- define "canary-hooks.baseLabels" -}}
app.kubernetes.io/name: canary-hooks
app.kubernetes.io/part-of: canary-hooks
{{- end -}}

{{/*
Helm's bookkeeping labels, on top of the base ones. The render-parity test
(test/integration/chart.itest.ts) takes exactly these four off before it
compares the chart with manifests/.
*/}}
{{- define "canary-hooks.labels" -}}
{{ include "canary-hooks.baseLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Where Metacontroller reaches the hooks, without a trailing slash. */}}
{{- define "canary-hooks.hooksURL" -}}
{{- if .Values.compositeController.hooksURL -}}
{{- trimSuffix "/" .Values.compositeController.hooksURL -}}
{{- else -}}
{{- printf "http://canary-hooks.%s" .Release.Namespace -}}
{{- end -}}
{{- end -}}
