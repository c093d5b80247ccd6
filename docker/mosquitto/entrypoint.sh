#!/bin/sh
# Builds the Mosquitto password file from the environment on every start, then runs mosquitto.
#   MQTT_PASSWORD                password of the "nodered" user (required)
#   MQTT_DEVICE_CREDENTIALS      devices as "id:password id2:password2" (user name = device id)
# To add a device: add it to MQTT_DEVICE_CREDENTIALS in .env and `docker compose up -d mosquitto`.
set -eu

: "${MQTT_PASSWORD:?MQTT_PASSWORD is not set (see .env.example)}"
passwords=/mosquitto/auth/passwords
mkdir -p /mosquitto/auth
rm -f "$passwords"
touch "$passwords"
chmod 0600 "$passwords"
mosquitto_passwd -b "$passwords" nodered "$MQTT_PASSWORD"
count=0
for credential in ${MQTT_DEVICE_CREDENTIALS:-}; do
  device="${credential%%:*}"
  secret="${credential#*:}"
  if [ -z "$device" ] || [ "$device" = "$credential" ] || [ -z "$secret" ]; then
    echo "mosquitto: skipping malformed MQTT_DEVICE_CREDENTIALS entry (want id:password)" >&2
    continue
  fi
  mosquitto_passwd -b "$passwords" "$device" "$secret"
  count=$((count + 1))
done
chown -R mosquitto:mosquitto /mosquitto/auth /mosquitto/data
echo "mosquitto: password file with nodered and $count device(s)"
exec /usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf
