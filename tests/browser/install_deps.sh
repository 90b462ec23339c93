#!/usr/bin/env bash
# What the browser tests need from the system: Debian's Chromium, the Nanum
# Korean fonts (Korean text renders in screenshots) and npm (axe-core).
# Root installs what is missing; anyone else is told the command, and
# tests/conftest.py skips the browser tests with the same command.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/share/fonts/truetype/nanum/NanumGothic*.ttf >/dev/null 2>&1 || missing+=(fonts-nanum)
command -v npm >/dev/null || missing+=(npm)
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Browser tests will be skipped: ${missing[*]} missing. Install with:" >&2
  echo "  sudo apt-get install --no-install-recommends chromium fonts-nanum npm" >&2
  exit 0
fi
echo "Installing for the browser tests: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
