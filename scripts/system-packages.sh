#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real when they are missing:
# Chromium for the browser tests (Playwright's own browser download cannot work on our
# machines), redis-server for the tests of the Redis cache, sessions and page cache, and
# bubblewrap, the sandbox the autograding tests run submitted code in, with libseccomp
# for its system-call filter (apt itself needs it: present on any Debian).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v bwrap >/dev/null || missing+=(bubblewrap)
ldconfig -p | grep -q 'libseccomp\.so\.2 ' || missing+=(libseccomp2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} (Debian packages) for the test suite..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
