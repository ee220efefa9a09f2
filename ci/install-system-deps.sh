#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real. Idempotent; skips what is present.
set -euo pipefail
needed=()
have() { command -v "$1" >/dev/null 2>&1; }
have shellcheck || needed+=(shellcheck)
have promtool || needed+=(prometheus)
have prometheus-pushgateway || needed+=(prometheus-pushgateway)
have chromium || needed+=(chromium)
have chromedriver || needed+=(chromium-driver)
have ruby || needed+=(ruby)
have wrk || needed+=(wrk)
have amtool || needed+=(prometheus-alertmanager)
if [ "${#needed[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${needed[*]} (run as root: apt-get install -y ${needed[*]})" >&2
  exit 1
fi
echo "installing system packages: ${needed[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
