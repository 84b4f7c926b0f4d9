#!/usr/bin/env bash
# Build ODK Web Forms for the web application from the npm registry at the versions pinned in
# package.json / package-lock.json, into server/web/static/webforms/ (committed: a Python-only install
# serves it and no page loads anything from the internet).
# Usage: bash tools/webforms/build.sh   (needs node >= 20.19 and npm; re-run after changing a version)
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
npx vite build
node -e 'const p=require("./node_modules/@getodk/web-forms/package.json");console.log(p.name+"@"+p.version)' \
    >../../server/web/static/webforms/VERSION
echo "built into server/web/static/webforms/:"
ls -la ../../server/web/static/webforms/
