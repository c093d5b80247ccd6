// Device configuration (firmware/README.md "Configuration"). Per-site values (APN, broker,
// credentials, admin numbers, device id) go into include/config.local.h, copied from
// config.example.h and kept out of git; everything not set there takes the default below.
#pragma once

#if __has_include("config.local.h")
#include "config.local.h"
#endif

// Device identity
#ifndef DEVICE_ID
#define DEVICE_ID "site1"
#endif
#define FIRMWARE_VERSION "1.0.0"

// Cellular
#ifndef GSM_APN
#define GSM_APN "internet"
#endif
#ifndef GSM_USER
#define GSM_USER ""
#endif
#ifndef GSM_PASS
#define GSM_PASS ""
#endif
#ifndef GSM_SIM_PIN
#define GSM_SIM_PIN ""
#endif
#ifndef GSM_BAUD
#define GSM_BAUD 9600
#endif

// MQTT broker
#ifndef MQTT_HOST
#define MQTT_HOST "mqtt.example.com"
#endif
#ifndef MQTT_PORT
#define MQTT_PORT 1883
#endif
#ifndef MQTT_USER
#define MQTT_USER ""
#endif
#ifndef MQTT_PASSWORD
#define MQTT_PASSWORD ""
#endif

// Comma-separated +E164 numbers that get critical-alert SMS and may send STATUS / RESET.
#ifndef ADMIN_NUMBERS
#define ADMIN_NUMBERS ""
#endif

// Timing intervals (ms)
#ifndef SENSOR_READ_INTERVAL
#define SENSOR_READ_INTERVAL 10000
#endif
#ifndef MQTT_PUBLISH_INTERVAL
#define MQTT_PUBLISH_INTERVAL 300000
#endif
#ifndef ALERT_COOLDOWN
#define ALERT_COOLDOWN 300000
#endif
#ifndef SMS_CHECK_INTERVAL
#define SMS_CHECK_INTERVAL 5000
#endif
#define HEARTBEAT_INTERVAL 5000
#define WATCHDOG_TIMEOUT_S 30

// Alert thresholds (docs/CONTRACTS.md "Alert contract"): warning / critical. These defaults and
// ALERT_COOLDOWN are the server's too: they must equal nodes/shared/thresholds.ts
// (test/unit/thresholds-drift.test.ts).
#ifndef VOLTAGE_HIGH_WARNING
#define VOLTAGE_HIGH_WARNING 245.0
#endif
#ifndef VOLTAGE_HIGH_CRITICAL
#define VOLTAGE_HIGH_CRITICAL 250.0
#endif
#ifndef VOLTAGE_LOW_WARNING
#define VOLTAGE_LOW_WARNING 215.0
#endif
#ifndef VOLTAGE_LOW_CRITICAL
#define VOLTAGE_LOW_CRITICAL 210.0
#endif
#ifndef COMP_TEMP_WARNING
#define COMP_TEMP_WARNING 85.0
#endif
#ifndef COMP_TEMP_CRITICAL
#define COMP_TEMP_CRITICAL 95.0
#endif
#ifndef PRESSURE_HIGH_WARNING
#define PRESSURE_HIGH_WARNING 400.0
#endif
#ifndef PRESSURE_HIGH_CRITICAL
#define PRESSURE_HIGH_CRITICAL 450.0
#endif
#ifndef PRESSURE_LOW_WARNING
#define PRESSURE_LOW_WARNING 40.0
#endif
#ifndef PRESSURE_LOW_CRITICAL
#define PRESSURE_LOW_CRITICAL 20.0
#endif
#ifndef CURRENT_WARNING
#define CURRENT_WARNING 12.0
#endif
#ifndef CURRENT_CRITICAL
#define CURRENT_CRITICAL 15.0
#endif

// Hardware (wiring table in firmware/README.md)
#define PIN_GSM_RX 16
#define PIN_GSM_TX 17
#define PIN_TEMP_INLET 34
#define PIN_TEMP_OUTLET 35
#define PIN_TEMP_AMBIENT 32
#define PIN_TEMP_COMPRESSOR 33
#define PIN_VOLTAGE 36
#define PIN_CURRENT 39
#define PIN_PRESSURE_HIGH 25
#define PIN_PRESSURE_LOW 26
#define PIN_STATUS_LED 2
// Optional status inputs (no fixed pin in the wiring table); -1 = not wired, reported as false.
#ifndef PIN_FAN_RUNNING
#define PIN_FAN_RUNNING -1
#endif
#ifndef PIN_DEFROST_ACTIVE
#define PIN_DEFROST_ACTIVE -1
#endif
// Pressure transducers are optional: 0 = not fitted, reported with valid:false.
#ifndef PRESSURE_FITTED
#define PRESSURE_FITTED 1
#endif
// The compressor counts as running above this current (A).
#ifndef COMPRESSOR_ON_CURRENT
#define COMPRESSOR_ON_CURRENT 2.0
#endif
// AC sampling window: 2 cycles of 50 Hz mains.
#define AC_WINDOW_MS 40
#define AC_SAMPLES 400
