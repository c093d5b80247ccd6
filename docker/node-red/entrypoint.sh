#!/bin/bash
# Node-RED container start: picks up the InfluxDB API token that docker/influxdb/init wrote into
# the shared volume (unless INFLUXDB_TOKEN is set), then hands over to the image's entrypoint.
set -e
if [ -z "${INFLUXDB_TOKEN:-}" ] && [ -n "${HEATPUMP_TOKEN_FILE:-}" ] && [ -r "$HEATPUMP_TOKEN_FILE" ]; then
  INFLUXDB_TOKEN="$(head -n 1 "$HEATPUMP_TOKEN_FILE")"
  export INFLUXDB_TOKEN
fi
exec /usr/src/node-red/entrypoint.sh "$@"
