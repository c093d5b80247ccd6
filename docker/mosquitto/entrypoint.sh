#!/bin/sh
# Builds the Mosquitto password file and the TLS files from the environment on every start, then
# runs mosquitto.
#   MQTT_PASSWORD                password of the "nodered" user (required)
#   MQTT_DEVICE_CREDENTIALS      devices as "id:password id2:password2" (user name = device id)
#   MQTT_REPLICA_USERS           the cluster profile's Node-RED replicas, e.g. "nodered-a nodered-b"
#                                (password MQTT_PASSWORD): one login, and so one client id and one
#                                persistent session, per replica (use_username_as_clientid)
#   /mosquitto/tls-in/{ca.crt,server.crt,server.key}   mounted by docker-compose.yml from the
#                                paths in .env; copied to /mosquitto/tls/ for the mosquitto user
# To add a device: add it to MQTT_DEVICE_CREDENTIALS in .env and `docker compose up -d mosquitto`.
# A device id the ACL cannot hold safely stops the start with a message naming it (never the
# password): with %u in the ACL patterns a user name with + or # would be a wildcard and one
# with / would reach another device's subtree (see docker/mosquitto/acl).
# MOSQUITTO_ROOT and MOSQUITTO_BIN exist for the tests (test/integration/mosquitto.test.ts).
# -f: the credential list is split on blanks but never globbed
set -euf

root="${MOSQUITTO_ROOT:-/mosquitto}"
bin="${MOSQUITTO_BIN:-/usr/sbin/mosquitto}"

refuse() {
  echo "mosquitto: $*; not starting" >&2
  exit 1
}

# the rule of nodes/shared/device-id.ts, plus the user names the broker set-up uses itself
device_id_problem() {
  case "$1" in
    '') echo 'is empty' ;;
    nodered | nodered-* | healthcheck) echo 'is reserved for the broker set-up' ;;
    _*) echo 'starts with "_"' ;;
    *[+#/]*) echo 'contains an MQTT wildcard or "/" (it would widen the ACL pattern heatpump/%u/...)' ;;
    *[,=\"\\]* | *[[:cntrl:]]* | *[[:space:]]*) echo 'contains one of , = " \ or a control character' ;;
    *) if [ "${#1}" -gt 64 ]; then echo 'is longer than 64 characters'; fi ;;
  esac
}

: "${MQTT_PASSWORD:?MQTT_PASSWORD is not set (see .env.example)}"

# check every entry before anything is written
for credential in ${MQTT_DEVICE_CREDENTIALS:-}; do
  device="${credential%%:*}"
  secret="${credential#*:}"
  if [ "$device" = "$credential" ] || [ -z "$secret" ]; then
    refuse "malformed MQTT_DEVICE_CREDENTIALS entry for \"$device\" (want id:password)"
  fi
  problem="$(device_id_problem "$device")"
  [ -z "$problem" ] || refuse "device id \"$device\" in MQTT_DEVICE_CREDENTIALS $problem"
done

mkdir -p "$root/auth" "$root/data" "$root/tls"
passwords="$root/auth/passwords"
next="$passwords.new"
rm -f "$next"
(umask 077 && : >"$next")
mosquitto_passwd -b "$next" nodered "$MQTT_PASSWORD"
# the compose healthcheck logs in as "healthcheck" (never as nodered: with
# use_username_as_clientid that would take over Node-RED's session); a new password every start
(umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$root/auth/healthcheck")
mosquitto_passwd -b "$next" healthcheck "$(cat "$root/auth/healthcheck")"
for replica in ${MQTT_REPLICA_USERS:-}; do
  case "$replica" in
    nodered-a | nodered-b) mosquitto_passwd -b "$next" "$replica" "$MQTT_PASSWORD" ;;
    *) rm -f "$next" && refuse "replica user \"$replica\" in MQTT_REPLICA_USERS has no ACL entry (docker/mosquitto/acl: nodered-a, nodered-b)" ;;
  esac
done
count=0
for credential in ${MQTT_DEVICE_CREDENTIALS:-}; do
  mosquitto_passwd -b "$next" "${credential%%:*}" "${credential#*:}"
  count=$((count + 1))
done
mv -f "$next" "$passwords"

for file in ca.crt server.crt server.key; do
  [ -f "$root/tls-in/$file" ] && [ -s "$root/tls-in/$file" ] || refuse "TLS file $root/tls-in/$file is missing (set MQTT_TLS_CA_FILE, MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE in .env)"
  (umask 077 && cp "$root/tls-in/$file" "$root/tls/$file")
done
chmod 0644 "$root/tls/ca.crt" "$root/tls/server.crt"

if [ "$(id -u)" = 0 ]; then chown -R mosquitto:mosquitto "$root/auth" "$root/data" "$root/tls"; fi
echo "mosquitto: password file with nodered, healthcheck and $count device(s); TLS on 8883"
exec "$bin" -c "$root/config/mosquitto.conf"
