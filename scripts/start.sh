#!/usr/bin/env bash
# Set up (if needed) and start Chumchon on the embedded default: SQLite, blobs on disk, a real Celery
# worker on a local broker. Publishes the forms in forms/ and prints the URL, logins and a Collect QR code.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/chumchon ] || bash scripts/setup.sh
exec .venv/bin/chumchon serve "$@"
