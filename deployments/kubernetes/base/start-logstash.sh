#!/usr/bin/env bash
# Starts Logstash with its secrets in the environment, then execs the image's entrypoint.
#
# The secrets file is the Secret stashkit-logstash-secrets (key logstash-secrets.env), mounted
# read-only: NAME=value lines exactly as `docker run --env-file` reads them (the value is taken
# literally, quotes and $ included; blank lines and lines starting with # are skipped). The same
# file is the sidecar's SECRETS_ENV_FILE, so every value Logstash gets is redacted by the sidecar.
# A value is never printed: a malformed line is reported by its number only.
set -euo pipefail

secrets_file="${STASHKIT_SECRETS_FILE:-/run/stashkit/logstash-secrets.env}"
entrypoint="${STASHKIT_LOGSTASH_ENTRYPOINT:-/usr/local/bin/docker-entrypoint}"

if [[ -f "$secrets_file" ]]; then
  number=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    number=$((number + 1))
    line="${line%$'\r'}"
    if [[ -z "$line" || "$line" == \#* ]]; then
      continue
    fi
    if [[ ! "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
      echo "start-logstash: $secrets_file line $number is not NAME=value" >&2
      exit 64
    fi
    export "${line?}"
  done <"$secrets_file"
else
  echo "start-logstash: no secrets file at $secrets_file: starting without secrets" >&2
fi

exec "$entrypoint" "$@"
