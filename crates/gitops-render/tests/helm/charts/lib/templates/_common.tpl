{{- define "lib.common" -}}
lib.example.com/managed: "true"
{{- end -}}
