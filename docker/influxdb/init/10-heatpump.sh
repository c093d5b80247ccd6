#!/bin/bash
# InfluxDB 2.x layout for heatpump-monitor, run once by the influxdb:2.7 image from
# /docker-entrypoint-initdb.d after DOCKER_INFLUXDB_INIT_MODE=setup has created the org, the
# admin token and the first bucket. Safe to run again by hand (everything is looked up first):
#   docker compose exec influxdb bash /docker-entrypoint-initdb.d/10-heatpump.sh
#
# Layout (the same as InfluxDB 1.x, see scripts/lib/influx-setup.ts and docs/CONTRACTS.md):
#   buckets heatpump/raw (30d), heatpump/hourly (52w = 8736h), heatpump/daily (forever)
#   DBRP mappings db "heatpump" rp raw (default) / hourly / daily -> those buckets, so the v1
#     API (/write, /query with InfluxQL) that the flows use works unchanged
#   tasks heatpump_hourly / heatpump_daily: mean/min/max per field -> mean_<field>, min_<field>,
#     max_<field>, and the last state of each boolean -> last_<field>, like the InfluxQL
#     continuous queries
#   least privilege for Node-RED, two v1 users (from .env) for the v1 API the flows use:
#     INFLUXDB_WRITE_USER may only write heatpump/raw, /hourly and /daily (the flows' writes),
#     INFLUXDB_READ_USER may only read heatpump/raw, /hourly and /daily (the API and dashboard)
#   two API tokens with the same rights for Flux/2.x clients, written to $INFLUXDB_WRITE_TOKEN_FILE
#     and $INFLUXDB_READ_TOKEN_FILE (the node-red container's entrypoint exports them as
#     INFLUXDB_WRITE_TOKEN / INFLUXDB_READ_TOKEN)
set -euo pipefail

ORG="${DOCKER_INFLUXDB_INIT_ORG:?DOCKER_INFLUXDB_INIT_ORG is not set}"
DB="${INFLUXDB_DATABASE:-heatpump}"
WRITE_USER="${INFLUXDB_WRITE_USER:-nodered-writer}"
WRITE_PASSWORD="${INFLUXDB_WRITE_PASSWORD:?INFLUXDB_WRITE_PASSWORD is not set (see .env.example)}"
READ_USER="${INFLUXDB_READ_USER:-nodered-reader}"
READ_PASSWORD="${INFLUXDB_READ_PASSWORD:?INFLUXDB_READ_PASSWORD is not set (see .env.example)}"
WRITE_TOKEN_FILE="${INFLUXDB_WRITE_TOKEN_FILE:-/var/lib/influxdb2/heatpump-write.token}"
READ_TOKEN_FILE="${INFLUXDB_READ_TOKEN_FILE:-/var/lib/influxdb2/heatpump-read.token}"
NUMERIC_FIELDS='"temp_inlet", "temp_outlet", "temp_ambient", "temp_compressor", "voltage", "current", "power", "pressure_high", "pressure_low"'
STATE_FIELDS='"compressor_running", "fan_running", "defrost_active"'

# to stderr: stdout of ensure_bucket is the bucket id
log() { echo "heatpump init: $*" >&2; }

# first "id" of a JSON answer of the influx CLI (jq is not in the image)
json_id() { sed -n 's/^[[:space:]]*"id":[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1; }

bucket_id() {
  influx bucket list --org "$ORG" --name "$1" --json 2>/dev/null | json_id || true
}

ensure_bucket() { # name retention [shard-group-duration]
  local id shards=()
  [ -n "${3:-}" ] && shards=(--shard-group-duration "$3")
  id="$(bucket_id "$1")"
  if [ -z "$id" ]; then
    id="$(influx bucket create --org "$ORG" --name "$1" --retention "$2" "${shards[@]}" --json | json_id)"
    log "bucket $1 created (retention $2)"
  else
    influx bucket update --id "$id" --retention "$2" "${shards[@]}" --json >/dev/null
  fi
  [ -n "$id" ] || { echo "heatpump init: no id for bucket $1" >&2; exit 1; }
  printf '%s' "$id"
}

ensure_dbrp() { # rp bucket-id default(true|false)
  if influx v1 dbrp list --org "$ORG" --db "$DB" --rp "$1" --json 2>/dev/null | grep -q '"bucketID"'; then
    return
  fi
  local default_flag=()
  [ "$3" = true ] && default_flag=(--default)
  influx v1 dbrp create --org "$ORG" --db "$DB" --rp "$1" --bucket-id "$2" "${default_flag[@]}" >/dev/null
  log "DBRP $DB/$1 -> bucket $2"
}

task_flux() { # name every offset target-bucket
  cat <<FLUX
option task = {name: "$1", every: $2, offset: $3}

fields = [$NUMERIC_FIELDS]
states = [$STATE_FIELDS]

readings = from(bucket: "heatpump/raw")
    |> range(start: -task.every)
    |> filter(fn: (r) => r._measurement == "sensor_reading")

aggregate = (fn, prefix, set) => readings
    |> filter(fn: (r) => contains(value: r._field, set: set))
    |> aggregateWindow(every: task.every, fn: fn, timeSrc: "_start", createEmpty: false)
    |> map(fn: (r) => ({r with _field: prefix + r._field}))

union(tables: [
    aggregate(fn: mean, prefix: "mean_", set: fields),
    aggregate(fn: min, prefix: "min_", set: fields),
    aggregate(fn: max, prefix: "max_", set: fields),
    aggregate(fn: last, prefix: "last_", set: states)
])
    |> to(bucket: "$4", org: "$ORG")
FLUX
}

ensure_task() { # name every offset target-bucket
  if influx task list --org "$ORG" --json 2>/dev/null | grep -q "\"name\": *\"$1\""; then
    return
  fi
  local file
  file="$(mktemp)"
  task_flux "$@" >"$file"
  influx task create --org "$ORG" --file "$file" >/dev/null
  rm -f "$file"
  log "task $1 created ($2 -> $4)"
}

# weekly shards: a read of a device's 30 days opens 5 shards, not 30 (raw data stays 30 to 37 days)
RAW_ID="$(ensure_bucket "$DB/raw" 720h 168h)"
HOURLY_ID="$(ensure_bucket "$DB/hourly" 8736h)"
DAILY_ID="$(ensure_bucket "$DB/daily" 0)"

ensure_dbrp raw "$RAW_ID" true
ensure_dbrp hourly "$HOURLY_ID" false
ensure_dbrp daily "$DAILY_ID" false

ensure_task heatpump_hourly 1h 5m "$DB/hourly"
ensure_task heatpump_daily 1d 15m "$DB/daily"

# writes go to raw (readings, alerts) and, for the performance figures, hourly and daily (the
# flows write no aggregates themselves: the tasks do); reads span all three
write_rights=(--write-bucket "$RAW_ID" --write-bucket "$HOURLY_ID" --write-bucket "$DAILY_ID")
read_rights=()
for id in "$RAW_ID" "$HOURLY_ID" "$DAILY_ID"; do read_rights+=(--read-bucket "$id"); done

ensure_v1_user() { # user password description rights...
  local user="$1" password="$2" description="$3"
  shift 3
  if influx v1 auth list --json 2>/dev/null | grep -q "\"$user\""; then
    influx v1 auth set-password --username "$user" --password "$password" >/dev/null
  else
    influx v1 auth create --org "$ORG" --username "$user" --password "$password" --description "$description" "$@" >/dev/null
    log "v1 user $user created ($description)"
  fi
}

ensure_token() { # file description rights...
  local file="$1" description="$2" token
  shift 2
  [ -s "$file" ] && return
  token="$(influx auth create --org "$ORG" --description "$description" "$@" --json |
    sed -n 's/^[[:space:]]*"token":[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
  [ -n "$token" ] || { echo "heatpump init: no token in the answer of influx auth create" >&2; exit 1; }
  mkdir -p "$(dirname "$file")"
  (umask 077 && printf '%s\n' "$token" >"$file")
  log "$description token written to $file"
}

ensure_v1_user "$WRITE_USER" "$WRITE_PASSWORD" "heatpump-monitor Node-RED writes (write-only)" "${write_rights[@]}"
ensure_v1_user "$READ_USER" "$READ_PASSWORD" "heatpump-monitor Node-RED queries (read-only)" "${read_rights[@]}"
ensure_token "$WRITE_TOKEN_FILE" "heatpump-monitor write-only" "${write_rights[@]}"
ensure_token "$READ_TOKEN_FILE" "heatpump-monitor read-only" "${read_rights[@]}"
log "done"
