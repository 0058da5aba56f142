#!/usr/bin/env bash
# Chromium for the browser tests: Debian's package, since Playwright's own download cannot work
# on a closed network. Installs only when missing and when we are root; otherwise says why.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-browser: /usr/bin/chromium is missing and we are not root; browser tests will" \
       "skip (or fail with REQUIRE_BROWSER=1). Install it with: sudo apt-get install chromium" >&2
  exit 0
fi
echo "install-browser: installing Debian's chromium (apt-get)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
/usr/bin/chromium --version >&2
