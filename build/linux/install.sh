#!/usr/bin/env sh
# Install the one-folder bundle for the current user: the program under ~/.local/opt, a launcher
# in ~/.local/bin, the .desktop entry and the icons in every size the icon theme uses.
# Usage: build/linux/install.sh [dist/bookkeeper-desktop]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=${1:-"$root/dist/bookkeeper-desktop"}
prefix=${PREFIX:-"$HOME/.local"}
[ -x "$bundle/bookkeeper-desktop" ] || { echo "No bundle at $bundle; run python build/build.py first" >&2; exit 1; }
mkdir -p "$prefix/opt" "$prefix/bin" "$prefix/share/applications"
rm -rf "$prefix/opt/bookkeeper-desktop"
cp -R "$bundle" "$prefix/opt/bookkeeper-desktop"
ln -sf "$prefix/opt/bookkeeper-desktop/bookkeeper-desktop" "$prefix/bin/bookkeeper-desktop"
ln -sf "$prefix/opt/bookkeeper-desktop/bookkeeper" "$prefix/bin/bookkeeper"
cp "$here/bookkeeper-desktop.desktop" "$prefix/share/applications/"
for size in 16 24 32 48 64 128 256 512; do
  png="$root/resources/icons/bookkeeper-desktop-$size.png"
  [ -f "$png" ] || continue
  dir="$prefix/share/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir" && cp "$png" "$dir/bookkeeper-desktop.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
echo "Installed; start it from your applications menu or with: bookkeeper-desktop"
