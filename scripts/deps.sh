#!/usr/bin/env bash
# scripts/deps.sh - install every Debian package evbridge needs to build, test
# and fuzz, if it is missing. Idempotent; runs apt-get as root or via sudo.
set -euo pipefail

PKGS=(
  gcc make pkg-config
  libmicrohttpd-dev      # HTTP server
  libcurl4-openssl-dev   # HTTP client of OAuth token requests (and curl_getdate)
  libssl-dev             # OpenSSL 3: SigV4 HMAC, AES-256-GCM, TLS of deliveries (deliver/h1.c)
  libsqlite3-dev         # embedded store
  libjansson-dev         # JSON for API bodies
  libpcre2-dev           # AWS model patterns (Java regex syntax)
  libcmocka-dev          # unit tests
  clang libclang-rt-14-dev  # libFuzzer and sanitizers
  sqlite3 python3 curl
  openssl                # the CLI: e2e 82 makes its test certificates with it
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js (>= 18) runs the end-to-end tests; any install of it will do.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps.sh: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
