#!/bin/sh
# Makes sure Debian's chromium is at /usr/bin/chromium for the browser tests (playwright-core
# drives it; no browser build is downloaded). Installs it with apt-get when it is missing and
# exits non-zero with the reason when that is not possible, so the test fails instead of skipping.
set -eu
BIN=/usr/bin/chromium
[ -x "$BIN" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: $BIN is missing and only root can install it: apt-get install -y chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $BIN is missing and there is no apt-get here to install the chromium package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another install may hold the dpkg lock (e.g. one started in the background): wait for it.
LOCK="-o DPkg::Lock::Timeout=900"
echo "ensure-chromium: installing chromium with apt-get" >&2
# shellcheck disable=SC2086
if ! apt-get $LOCK install -y chromium >&2; then
  # A stale package index: refresh it once and retry.
  apt-get $LOCK update >&2
  apt-get $LOCK install -y chromium >&2
fi
if [ ! -x "$BIN" ]; then
  echo "ensure-chromium: apt-get finished but $BIN is not there" >&2
  exit 1
fi
