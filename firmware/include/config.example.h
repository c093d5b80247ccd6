// Copy to include/config.local.h (ignored by git) and fill in the site's values.
// Anything left out keeps the default of config.h.
#pragma once

#define DEVICE_ID "site1"

#define GSM_APN "airtelgprs.com"
#define GSM_USER ""
#define GSM_PASS ""
#define GSM_SIM_PIN ""

#define MQTT_HOST "mqtt.example.com"
#define MQTT_PORT 1883
#define MQTT_USER "site1"
#define MQTT_PASSWORD "change-me"

#define ADMIN_NUMBERS "+919876543210,+919812345678"

// #define PRESSURE_FITTED 0        // no pressure transducers
// #define PIN_FAN_RUNNING 27       // optional digital input, HIGH = fan running
// #define PIN_DEFROST_ACTIVE 14    // optional digital input, HIGH = defrost
