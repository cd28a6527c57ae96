#!/bin/sh
# Container entry point: check the data volume, then serve (or run any `layerwise` command).
set -eu

data_dir="${LAYERWISE_DATA_DIR:-/data}"
mkdir -p "$data_dir" 2>/dev/null || true
if [ ! -d "$data_dir" ] || [ ! -w "$data_dir" ]; then
    echo "layerwise: data directory $data_dir is missing or not writable by uid $(id -u);" \
        "mount a volume there that this user can write" >&2
    exit 70
fi

if [ "$#" -eq 0 ]; then
    set -- serve
fi

if [ "$1" = "serve" ]; then
    shift
    exec layerwise serve --host "${LAYERWISE_HOST:-0.0.0.0}" --port "${LAYERWISE_PORT:-8000}" "$@"
fi
exec layerwise "$@"
