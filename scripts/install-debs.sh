#!/usr/bin/env bash
# Install the Debian packages the tests compare against, when running as root.
# As non-root it only says which are missing; the tests that need them skip with the reason.
set -u
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "not root: skipping Debian packages ${missing[*]} (their differential and loopback tests will skip)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
for attempt in $(seq 1 30); do
  if apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt; dpkg lock held?), retrying in 10 s"
  sleep 10
done
echo "could not install ${missing[*]}" >&2
exit 1
