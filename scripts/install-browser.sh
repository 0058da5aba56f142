#!/usr/bin/env bash
# Chromium for the browser tests: Debian's package, since Playwright's own download cannot work
# on a closed network. And Debian's CJK fonts, checked on their own: without them every Japanese,
# Chinese and Korean glyph in a screenshot is a box, whether or not Chromium was already there.
# Installs only what is missing and only when we are root; otherwise says why.
set -euo pipefail

missing=()
if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed"; then
  missing+=(fonts-noto-cjk)
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-browser: missing ${missing[*]} and we are not root; without chromium the browser" \
       "tests skip (or fail with REQUIRE_BROWSER=1), without fonts-noto-cjk screenshots show boxes." \
       "Install with: sudo apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "install-browser: installing Debian's ${missing[*]} (apt-get)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [[ " ${missing[*]} " == *" chromium "* ]]; then
  /usr/bin/chromium --version >&2
fi
