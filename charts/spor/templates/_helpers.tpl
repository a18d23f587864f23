{{/* Names, labels and the per-workload settings shared by every template. */}}

{{- define "spor.name" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select one workload's pods. */}}
{{- define "spor.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "spor.labels" -}}
{{ include "spor.selectorLabels" . }}
app.kubernetes.io/component: {{ .name }}
app.kubernetes.io/part-of: spor
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Every pod of this release (the default-deny policy and identity's callers). */}}
{{- define "spor.releaseSelector" -}}
app.kubernetes.io/part-of: spor
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* A workload's settings: the defaults overlaid with its own entry. */}}
{{- define "spor.settings" -}}
{{- $settings := mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy .service) -}}
{{- toYaml $settings -}}
{{- end -}}

{{/* The names of the enabled workloads, sorted, as a list. */}}
{{- define "spor.enabled" -}}
{{- $names := list -}}
{{- range $name, $service := .Values.services -}}
{{- if $service.enabled -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson (sortAlpha $names) -}}
{{- end -}}

{{/* The image: the workload's own full reference (skaffold sets it), else <registry>/<prefix><name>:<tag>. */}}
{{- define "spor.image" -}}
{{- $image := .root.Values.image -}}
{{- if .override -}}
{{- .override -}}
{{- else -}}
{{- $repository := printf "%s%s" $image.repositoryPrefix .name -}}
{{- if $image.registry -}}{{- $repository = printf "%s/%s" (trimSuffix "/" $image.registry) $repository -}}{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* identity's public base URL: the `iss` of access tokens. */}}
{{- define "spor.tokenIssuer" -}}
{{- if .Values.tokenIssuer -}}
{{- trimSuffix "/" .Values.tokenIssuer -}}
{{- else -}}
{{- printf "https://%s/api/identity" .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/* Where the archive volume is mounted in the workloads that retain records (their ARCHIVE_DIR). */}}
{{- define "spor.archiveDir" -}}/var/lib/spor/archive{{- end -}}

{{/* The archive volume's claim: the operator's existing one, else the chart's own, else empty (no archive volume). */}}
{{- define "spor.archiveClaim" -}}
{{- $archive := .Values.archive -}}
{{- if $archive.existingClaim -}}
{{- $archive.existingClaim -}}
{{- else if $archive.persistentVolumeClaim.create -}}
{{- printf "%s-archive" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The enabled workloads whose retention sweep archives records, sorted, as a list. */}}
{{- define "spor.retaining" -}}
{{- $names := list -}}
{{- range $name := include "spor.enabled" . | fromJsonArray -}}
{{- $s := include "spor.settings" (dict "root" $ "service" (get $.Values.services $name)) | fromYaml -}}
{{- if $s.retainsRecords -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{- define "spor.serviceUrl" -}}
{{- printf "http://%s" (include "spor.name" .) -}}
{{- end -}}

{{/* The service's plain configuration (its ConfigMap): what the chart knows, then the entry's own `config`. */}}
{{- define "spor.config" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $s := .settings -}}
{{- $config := dict
  "PORT" "8080"
  "LOG_LEVEL" $root.Values.logLevel
  "SHUTDOWN_TIMEOUT_MS" (printf "%d" (mul (sub (int $s.terminationGracePeriodSeconds) 5) 1000))
  "TOKEN_ISSUER" (include "spor.tokenIssuer" $root)
  "TOKEN_AUDIENCE" $root.Values.tokenAudience
-}}
{{- if ne $name "identity" -}}
{{- $_ := set $config "IDENTITY_JWKS_URL" (printf "%s/.well-known/jwks.json" (include "spor.serviceUrl" (dict "root" $root "name" "identity"))) -}}
{{- end -}}
{{- if $s.usesKafka -}}
{{- $_ := set $config "KAFKA_BROKERS" $root.Values.kafka.brokers -}}
{{- $_ := set $config "KAFKA_CLIENT_ID" $name -}}
{{- end -}}
{{- if eq $name "gateway" -}}
{{- range $upstream := list "identity" "assessments" "action-plans" "consent" "transitions" "reporting" -}}
{{- $_ := set $config (printf "%s_URL" (upper (replace "-" "_" $upstream))) (include "spor.serviceUrl" (dict "root" $root "name" $upstream)) -}}
{{- end -}}
{{- end -}}
{{- if eq $name "transitions" -}}
{{- $_ := set $config "IDENTITY_URL" (include "spor.serviceUrl" (dict "root" $root "name" "identity")) -}}
{{- end -}}
{{- if eq $name "identity" -}}
{{- with $s.citizenLogin -}}{{- if .enabled -}}
{{- $_ := set $config "CITIZEN_OIDC_ISSUER" .issuer -}}
{{- $_ := set $config "CITIZEN_OIDC_CLIENT_ID" .clientId -}}
{{- $_ := set $config "CITIZEN_CPR_CLAIM" .cprClaim -}}
{{- end -}}{{- end -}}
{{- with $s.staffLogin -}}{{- if .enabled -}}
{{- $_ := set $config "STAFF_OIDC_ISSUER" .issuer -}}
{{- $_ := set $config "STAFF_OIDC_CLIENT_ID" .clientId -}}
{{- $_ := set $config "STAFF_USER_ID_CLAIM" .userIdClaim -}}
{{- $_ := set $config "STAFF_MIN_NSIS_LEVEL" .minNsisLevel -}}
{{- end -}}{{- end -}}
{{- end -}}
{{- if and $s.retainsRecords (include "spor.archiveClaim" $root) -}}
{{- $_ := set $config "ARCHIVE_DIR" (include "spor.archiveDir" $root) -}}
{{- end -}}
{{- range $key, $value := ($s.config | default dict) -}}
{{- if regexMatch "^MONGO_URL$|SECRET|_KEYS?$|^SERVICE_CLIENTS$" $key -}}
{{- fail (printf "services.%s.config.%s: a secret never goes in a ConfigMap; it is read from the Secret the chart references (deploy/OPERATIONS.md, Secrets)" $name $key) -}}
{{- end -}}
{{- if eq $key "ARCHIVE_DIR" -}}
{{- fail (printf "services.%s.config.ARCHIVE_DIR: set by the chart to the archive volume's mount (values `archive`); any other path is the read-only root filesystem or /tmp, which is lost with the pod" $name) -}}
{{- end -}}
{{- $_ := set $config $key (toString $value) -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* The service's secrets: environment variables read from the Secrets the operator created. */}}
{{- define "spor.secretEnv" -}}
{{- $name := .name -}}
{{- $s := .settings -}}
{{- $env := list -}}
{{- if $s.hasDatabase -}}
{{- $env = append $env (dict "name" "MONGO_URL" "valueFrom" (dict "secretKeyRef" (dict "name" $s.mongo.existingSecret "key" ($s.mongo.secretKey | default "MONGO_URL")))) -}}
{{- end -}}
{{- if eq $name "identity" -}}
{{- range $variable := list "SIGNING_KEY_SEAL_KEY" "CPR_ENCRYPTION_KEYS" "CPR_ENCRYPTION_ACTIVE_KEY" "CPR_LOOKUP_KEY" -}}
{{- $env = append $env (dict "name" $variable "valueFrom" (dict "secretKeyRef" (dict "name" $s.keys.existingSecret "key" $variable))) -}}
{{- end -}}
{{- $env = append $env (dict "name" "SERVICE_CLIENTS" "valueFrom" (dict "secretKeyRef" (dict "name" $s.keys.existingSecret "key" "SERVICE_CLIENTS" "optional" true))) -}}
{{- range $login := list "citizen" "staff" -}}
{{- $settings := get $s (printf "%sLogin" $login) -}}
{{- if $settings.enabled -}}
{{- $env = append $env (dict "name" (printf "%s_OIDC_CLIENT_SECRET" (upper $login)) "valueFrom" (dict "secretKeyRef" (dict "name" $settings.existingSecret "key" ($settings.secretKey | default "CLIENT_SECRET")))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq $name "transitions") $s.identityClient $s.identityClient.existingSecret -}}
{{- $env = append $env (dict "name" "TRANSITIONS_CLIENT_SECRET" "valueFrom" (dict "secretKeyRef" (dict "name" $s.identityClient.existingSecret "key" ($s.identityClient.secretKey | default "CLIENT_SECRET")))) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}
