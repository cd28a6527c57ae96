#!/bin/sh
# Container entry point: check the data volume, migrate the database, then serve
# (or run any other `layerwise` command as given).
#
# LAYERWISE_SKIP_MIGRATIONS=1 starts serving without migrating: for replicas when one job
# (`docker compose run --rm app db upgrade`, say) migrates before they start.
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
    case "${LAYERWISE_SKIP_MIGRATIONS:-0}" in
        1 | true | yes)
            echo "layerwise: LAYERWISE_SKIP_MIGRATIONS is set; not migrating the database" >&2
            ;;
        *)
            status=0
            layerwise db upgrade || status=$?
            if [ "$status" -ne 0 ]; then
                echo "layerwise: database migrations failed (exit $status); not serving." \
                    "Is the database at LAYERWISE_DATABASE_URL reachable and its user allowed" \
                    "to create tables? (unset: SQLite under $data_dir)" >&2
                exit "$status"
            fi
            ;;
    esac
    exec layerwise serve --host "${LAYERWISE_HOST:-0.0.0.0}" --port "${LAYERWISE_PORT:-8000}" "$@"
fi
exec layerwise "$@"
