#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine:
#   ./dev.sh run     set everything up (when missing) and start Bookkeeper Desktop
#   ./dev.sh test    set everything up (when missing) and run the whole test suite, one
#                    pytest-xdist worker per CPU
#   ./dev.sh setup   only install the system packages and the virtualenv
#   ./dev.sh lint    ruff + mypy (strict on the package)
# Extra arguments after `run` go to the app (e.g. ./dev.sh run --demo); after `test`, to pytest.
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
# Qt's runtime libraries (xcb for a real screen, EGL/fontconfig for offscreen), a virtual screen,
# the Secret Service keychain on D-Bus, PostgreSQL for the shared-database tests, binutils for
# PyInstaller.
APT_PACKAGES=(
  python3-venv libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0
  libx11-xcb1 libxrender1 libxi6 libsm6 libice6 xvfb dbus dbus-x11 gnome-keyring libsecret-tools
  postgresql binutils fonts-dejavu-core
)

missing_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

install_system_packages() {
  command -v apt-get >/dev/null || { echo "dev.sh: not a Debian-like system; install the packages listed in dev.sh by hand" >&2; return 0; }
  local missing; missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  local sudo=""; [ "$(id -u)" = "0" ] || sudo="sudo"
  echo "dev.sh: installing system packages: $missing"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "dev.sh: Python 3.11 or newer is needed" >&2; return 1
}

setup_venv() {
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  [ -x "$VENV/bin/python" ] || "$(pick_python)" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e '.[test]'
  rm -f "$VENV"/.installed-*; touch "$stamp"
}

setup() { install_system_packages; setup_venv; }

cmd="${1:-run}"; shift || true
case "$cmd" in
  setup) setup ;;
  run)
    setup
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
      echo "dev.sh: no display found; starting the app on a virtual screen (xvfb-run)" >&2
      exec xvfb-run -a "$VENV/bin/bookkeeper-desktop" "$@"
    fi
    exec "$VENV/bin/bookkeeper-desktop" "$@"
    ;;
  test)
    setup
    export QT_QPA_PLATFORM=offscreen
    if [ -z "${BOOKKEEPER_TEST_PG_URL:-}" ]; then
      BOOKKEEPER_TEST_PG_URL=$(.ci/start-postgres) || { echo "dev.sh: PostgreSQL did not start; its tests will be skipped" >&2; BOOKKEEPER_TEST_PG_URL=""; }
      export BOOKKEEPER_TEST_PG_URL
    fi
    # pytest-xdist: one worker per CPU (BOOKKEEPER_TEST_WORKERS overrides; `-n 0` after `test`
    # runs serially). worksteal: an idle worker takes queued tests from a busy one, so a few long
    # sync tests do not leave the others waiting at the end.
    exec .ci/with-keyring "$VENV/bin/python" -m pytest -n "${BOOKKEEPER_TEST_WORKERS:-auto}" \
      --dist worksteal "$@"
    ;;
  lint)
    setup
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy"
    ;;
  *) echo "usage: ./dev.sh run|test|setup|lint [args]" >&2; exit 2 ;;
esac
