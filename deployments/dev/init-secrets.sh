#!/usr/bin/env bash
# Creates the dev stack's secrets (the files compose.yaml's `secrets:` name) in ./secrets/:
#
#   sidecar-token            the sidecar's API token (AUTH_TOKEN_FILE), also Prometheus'
#                            credentials_file and `status-sidecar report --token-file`
#   logstash-secrets.env     the Logstash secrets (WEBHOOK_URL for the webhook-test output),
#                            also the sidecar's SECRETS_ENV_FILE (it redacts these values)
#   notify-key               the key that signs the sidecar's health-change notifications
#   grafana-admin-password   Grafana's admin password (GF_SECURITY_ADMIN_PASSWORD__FILE)
#
# Random values, never printed. An existing file is kept (delete it to make a new one), so
# running this again is harmless. Usage: ./init-secrets.sh [DIR]   (default: ./secrets next to
# this script).
#
# The files are 0644 inside a 0700 directory: Compose bind-mounts each one into containers that
# run as other users (Logstash 1000, the sidecar 1001, Prometheus 65534, Grafana 472), and only
# you can enter the directory. This is a dev stack: deployments keep their secrets in SSM,
# Key Vault or Kubernetes Secrets instead.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:-$here/secrets}"

# random_hex N: N random bytes as 2N hex characters (no colon, no whitespace: a valid token).
random_hex() {
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# create NAME: stdin into DIR/NAME, unless it already exists.
create() {
  local path="$dir/$1" tmp
  if [[ -e "$path" ]]; then
    echo "kept    $path"
    cat >/dev/null
    return
  fi
  tmp="$(mktemp "$dir/.$1.XXXXXX")"
  cat >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$path"
  echo "created $path"
}

umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

printf '%s\n' "$(random_hex 24)" | create sidecar-token
printf 'WEBHOOK_URL=http://webhook-sink:8080/events/%s\n' "$(random_hex 16)" |
  create logstash-secrets.env
printf '%s\n' "$(random_hex 32)" | create notify-key
printf '%s\n' "$(random_hex 12)" | create grafana-admin-password
