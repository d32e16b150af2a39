#!/usr/bin/env bash
# Runs the peer benchmark (Python `eventsourcing` on SQLite, or on PostgreSQL
# with --postgres URL) in its own virtual environment. All arguments are
# passed through to peer.py.
#
#   bash benches/peer/run.sh --events 100000 --aggregates 10000 --json
#   bash benches/peer/run.sh --events 100000 --aggregates 10000 --json \
#       --postgres 'postgresql:///postgres?host=/tmp/pgdev&user=postgres'
#
# PEER_VENV overrides where the virtual environment lives
# (default: <repo>/target/peer-venv). PYTHON overrides the interpreter used to
# create it (default: python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${PEER_VENV:-$repo/target/peer-venv}"
python="${PYTHON:-python3}"
requirements="$here/requirements.txt"

# (Re)install when the venv is missing or the pins changed since the last install.
stamp="$venv/.peer-requirements"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "peer: creating virtual environment in $venv" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi
if [[ ! -f "$stamp" ]] || ! cmp -s "$requirements" "$stamp"; then
    echo "peer: installing $(grep -m1 '^eventsourcing' "$requirements")" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --requirement "$requirements" >&2
    cp "$requirements" "$stamp"
fi

exec "$venv/bin/python" "$here/peer.py" "$@"
