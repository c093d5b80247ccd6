// One sensor reading as the device stores it. A plain POD: it lives in the ring buffer in RTC
// memory, which survives a watchdog reset, so no pointers, no constructors, fixed layout.
#pragma once
#include <cstdint>
#include <type_traits>

namespace hp {

/** Sensor slots, in the order of the payload's `valid` object. */
enum Sensor : uint8_t {
  TEMP_INLET = 0,
  TEMP_OUTLET,
  TEMP_AMBIENT,
  TEMP_COMPRESSOR,
  VOLTAGE,
  CURRENT,
  PRESSURE_HIGH,
  PRESSURE_LOW,
  SENSOR_COUNT
};

/** Payload keys of the `valid` object, indexed by Sensor. */
extern const char* const kSensorKeys[SENSOR_COUNT];

/** Alert groups of the payload's `alerts` object (0 ok, 1 warning, 2 critical). */
enum AlertGroup : uint8_t {
  GROUP_VOLTAGE = 0,
  GROUP_COMPRESSOR_TEMP,
  GROUP_PRESSURE_HIGH,
  GROUP_PRESSURE_LOW,
  GROUP_CURRENT,
  GROUP_COUNT
};
extern const char* const kAlertGroupKeys[GROUP_COUNT];

enum Level : uint8_t { LEVEL_OK = 0, LEVEL_WARNING = 1, LEVEL_CRITICAL = 2 };

/** Alert types of the alert contract (docs/CONTRACTS.md), each checked against one sensor. */
enum AlertType : uint8_t {
  ALERT_VOLTAGE_HIGH = 0,
  ALERT_VOLTAGE_LOW,
  ALERT_COMPRESSOR_TEMP,
  ALERT_PRESSURE_HIGH,
  ALERT_PRESSURE_LOW,
  ALERT_CURRENT,
  ALERT_TYPE_COUNT
};

struct Reading {
  /** ms since the epoch from the modem's network clock; 0 = clock not known when read. */
  int64_t timestamp_ms;
  /** millis() when read, to back-date the timestamp once the clock becomes known. */
  uint32_t uptime_ms;
  /** Boot counter at read time: uptime_ms is only comparable within one boot. */
  uint32_t boot;
  /** Values indexed by Sensor; only meaningful where the valid bit is set. */
  float value[SENSOR_COUNT];
  /** Bit n set = value[n] is valid. */
  uint16_t valid_mask;
  /** 2 bits per AlertType: the Level at read time, checked with the configured thresholds. */
  uint16_t alert_bits;
  bool compressor_running;
  bool fan_running;
  bool defrost_active;
  /** GSM signal in percent, 0..100 (0 also when unknown). */
  uint8_t signal_percent;
};
static_assert(std::is_trivially_copyable<Reading>::value && std::is_standard_layout<Reading>::value,
              "Reading must stay a POD: it lives in RTC memory");

inline bool isValid(const Reading& r, Sensor s) { return (r.valid_mask >> s) & 1u; }
inline void setValue(Reading& r, Sensor s, float v, bool valid) {
  r.value[s] = valid ? v : 0.0f;
  if (valid) r.valid_mask |= static_cast<uint16_t>(1u << s);
  else r.valid_mask &= static_cast<uint16_t>(~(1u << s));
}
inline Level alertLevel(const Reading& r, AlertType t) {
  return static_cast<Level>((r.alert_bits >> (2 * t)) & 3u);
}
inline void setAlertLevel(Reading& r, AlertType t, Level l) {
  r.alert_bits = static_cast<uint16_t>((r.alert_bits & ~(3u << (2 * t))) | (static_cast<unsigned>(l) << (2 * t)));
}
/** Power is V x I, so it is valid only when both are. */
inline bool powerValid(const Reading& r) { return isValid(r, VOLTAGE) && isValid(r, CURRENT); }
inline float power(const Reading& r) { return r.value[VOLTAGE] * r.value[CURRENT]; }

}  // namespace hp
