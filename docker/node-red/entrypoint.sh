#!/bin/bash
# Node-RED container start: picks up the InfluxDB API tokens that docker/influxdb/init wrote into
# the shared volume (a write-only and a read-only one; unless INFLUXDB_WRITE_TOKEN /
# INFLUXDB_READ_TOKEN are set), then hands over to the image's entrypoint.
set -e
token_from_file() { # variable file
  if [ -z "${!1:-}" ] && [ -n "${2:-}" ] && [ -r "$2" ]; then
    printf -v "$1" '%s' "$(head -n 1 "$2")"
    export "${1?}"
  fi
}
token_from_file INFLUXDB_WRITE_TOKEN "${INFLUXDB_WRITE_TOKEN_FILE:-}"
token_from_file INFLUXDB_READ_TOKEN "${INFLUXDB_READ_TOKEN_FILE:-}"
exec /usr/src/node-red/entrypoint.sh "$@"
