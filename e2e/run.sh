#!/usr/bin/env bash
# Browser end-to-end run of the demo in headless Chromium, then axum-login
# on sealed-session-tower (e2e/tower_login.py).
#
#   bash e2e/run.sh            # debug build of the demo
#   E2E_PROFILE=release bash e2e/run.sh
#   E2E_SCREENSHOTS=/tmp/shots bash e2e/run.sh
#
# Installs Debian's chromium and chromium-driver if they are missing (as
# root), builds the demo, and runs e2e/driver.py. Fails (non-zero), never
# skips, if anything is missing or the browser cannot start.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: FAIL: $CHROMIUM or $CHROMEDRIVER missing; install Debian's chromium and chromium-driver" >&2
    exit 1
  fi
  echo "e2e: installing chromium and chromium-driver from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "e2e: $("$CHROMIUM" --version 2>/dev/null | tail -n 1)"
echo "e2e: $("$CHROMEDRIVER" --version | head -n 1)"

profile="${E2E_PROFILE:-debug}"
case "$profile" in
  debug) cargo build -p demo --bins && cargo build -p sealed-session-tower --example axum_login ;;
  release) cargo build -p demo --bins --release && cargo build -p sealed-session-tower --example axum_login --release ;;
  *) echo "e2e: FAIL: E2E_PROFILE must be debug or release" >&2; exit 1 ;;
esac
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
demo="$target_dir/$profile/demo"

python3 e2e/driver.py --demo "$demo" --chromium "$CHROMIUM" --chromedriver "$CHROMEDRIVER"
# axum-login 0.18 on sealed-session-tower: form login, the protected page,
# logout, the copied cookie refused.
exec python3 e2e/tower_login.py --app "$target_dir/$profile/examples/axum_login" \
  --chromium "$CHROMIUM" --chromedriver "$CHROMEDRIVER"
