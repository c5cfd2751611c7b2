#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing (Playwright's own
# browser download cannot work on our machines).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium (Debian package) for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
