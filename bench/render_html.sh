#!/usr/bin/env bash
# Render a ticketlens HTML page in headless Chromium and save a screenshot, to look at it as a
# person would (Debian: apt-get install chromium). Usage: bench/render_html.sh PAGE.html OUT.png
set -euo pipefail
page=$(realpath "$1")
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 \
  --screenshot="$2" "file://$page" 2>/dev/null
echo "screenshot: $2"
