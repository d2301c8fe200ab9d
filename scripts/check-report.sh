#!/usr/bin/env bash
# Opens an HTML report in headless Chromium and fails if it does not load
# cleanly: Chromium exits non-zero, logs a console error or an uncaught
# exception, or the rendered DOM holds a different number of <svg> charts
# than the file. Then takes a full-page screenshot for a person to look at.
#
#   scripts/check-report.sh FILE.html [SCREENSHOT.png]
#
# Installs Debian's `chromium` with apt-get when it is missing (as
# scripts/setup.sh does for its tools). Opt-in: not part of setup or CI.
# Environment: CHROMIUM (browser binary), WIDTH (screenshot width, 1400),
# EXPECT_SVGS (expected chart count; default: the number of <svg in FILE).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 FILE.html [SCREENSHOT.png]" >&2
  exit 2
fi
file=$1
shot=${2:-${file%.html}.png}
if [ ! -r "$file" ]; then
  echo "check-report: $file: not a readable file" >&2
  exit 2
fi

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
  done
fi
if [ -z "$browser" ]; then
  echo "check-report: installing chromium with apt-get" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  browser=chromium
fi

url="file://$(realpath "$file")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless=new --disable-gpu --no-sandbox --no-first-run --hide-scrollbars
  --user-data-dir="$work/profile" --enable-logging=stderr --v=0)

# 1. Load and dump the DOM, keeping Chromium's log.
if ! timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" >"$work/dom.html" 2>"$work/load.log"; then
  echo "check-report: $browser failed to load $file:" >&2
  tail -20 "$work/load.log" >&2
  exit 1
fi

status=0
# Console messages of level error, and uncaught exceptions, from the page.
if grep -E 'CONSOLE.*(ERROR|error)|Uncaught|"(ERROR|error)"' "$work/load.log" >"$work/errors.log"; then
  echo "check-report: the page logged errors:" >&2
  cat "$work/errors.log" >&2
  status=1
fi
if ! grep -q '</html>' "$work/dom.html"; then
  echo "check-report: no document came back from $file" >&2
  status=1
fi
expected=${EXPECT_SVGS:-$(grep -o '<svg' "$file" | wc -l)}
rendered=$(grep -o '<svg' "$work/dom.html" | wc -l)
if [ "$rendered" -ne "$expected" ]; then
  echo "check-report: $rendered <svg> elements rendered, expected $expected" >&2
  status=1
fi

# 2. A full-page screenshot. Chromium's command line has no full-page
# option, so measure the laid-out height first, on a temporary copy of the
# page with one line of script that writes it into the DOM (the report
# itself has no script), then shoot at that height.
width=${WIDTH:-1400}
sed 's|</body>|<script>document.body.dataset.height = document.documentElement.scrollHeight;</script></body>|' \
  "$file" >"$work/measure.html"
height=$(timeout 120 "$browser" "${flags[@]}" --window-size="$width,1000" \
  --dump-dom "file://$work/measure.html" 2>/dev/null |
  sed -n 's/.*data-height="\([0-9]*\)".*/\1/p' | head -1)
if [ -z "$height" ]; then
  echo "check-report: could not measure the page height" >&2
  exit 1
fi
height=$((height + 20))
if ! timeout 120 "$browser" "${flags[@]}" --window-size="$width,$height" \
  --screenshot="$(realpath -m "$shot")" "$url" >/dev/null 2>"$work/shot.log"; then
  echo "check-report: screenshot failed:" >&2
  tail -20 "$work/shot.log" >&2
  exit 1
fi

if [ "$status" -eq 0 ]; then
  echo "check-report: ok: $file loads without console errors, $rendered/$expected charts; screenshot $shot (${width}x$height)"
fi
exit "$status"
