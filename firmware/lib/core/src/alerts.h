// Alert checks of the alert contract (docs/CONTRACTS.md), with the per-alert cooldown.
#pragma once
#include <cstddef>
#include <cstdint>

#include "reading.h"

namespace hp {

struct AlertRule {
  const char* type;     // alert_type of the contract
  const char* message;  // short human text, also used in the SMS
  const char* unit;
  Sensor sensor;
  AlertGroup group;     // key in the payload's `alerts` object
  bool above;           // true: alert when value > threshold; false: when value < threshold
};
extern const AlertRule kAlertRules[ALERT_TYPE_COUNT];

struct Thresholds {
  float warning[ALERT_TYPE_COUNT];
  float critical[ALERT_TYPE_COUNT];
};
/** 245/250 V, 215/210 V, 85/95 degC, 400/450 PSI, 40/20 PSI, 12/15 A. */
extern const Thresholds kDefaultThresholds;

struct Alert {
  AlertType type;
  Level level;
  float value;
  float threshold;
};

/** Level of one alert type for a reading; LEVEL_OK when the sensor is invalid. */
Level evaluate(const Reading& reading, AlertType type, const Thresholds& t);
/** Records the level of every alert type in reading.alert_bits. */
void annotateAlerts(Reading& reading, const Thresholds& t);
/** Level of a payload `alerts` group: the highest of its alert types (voltage: high and low). */
Level groupLevel(const Reading& reading, AlertGroup group);

/**
 * Remembers when each (type, level) last went out, so the same alert is not repeated within
 * the cooldown. Times are millis() (wrap-safe unsigned arithmetic).
 */
class AlertCooldown {
 public:
  explicit AlertCooldown(uint32_t cooldown_ms) : cooldown_ms_(cooldown_ms) {}
  /** Alerts of `reading` that are due now, at most ALERT_TYPE_COUNT; returns how many. */
  size_t due(const Reading& reading, const Thresholds& t, uint32_t now_ms, Alert* out);

 private:
  uint32_t cooldown_ms_;
  uint32_t last_sent_[ALERT_TYPE_COUNT][2] = {};
  bool sent_[ALERT_TYPE_COUNT][2] = {};
};

}  // namespace hp
