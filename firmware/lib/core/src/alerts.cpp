#include "alerts.h"

namespace hp {

const AlertRule kAlertRules[ALERT_TYPE_COUNT] = {
    {"voltage_high", "High voltage", "V", VOLTAGE, GROUP_VOLTAGE, true},
    {"voltage_low", "Low voltage", "V", VOLTAGE, GROUP_VOLTAGE, false},
    {"compressor_temp", "High compressor temperature", "C", TEMP_COMPRESSOR, GROUP_COMPRESSOR_TEMP, true},
    {"pressure_high", "High pressure", "PSI", PRESSURE_HIGH, GROUP_PRESSURE_HIGH, true},
    {"pressure_low", "Low pressure", "PSI", PRESSURE_LOW, GROUP_PRESSURE_LOW, false},
    {"current", "Overcurrent", "A", CURRENT, GROUP_CURRENT, true},
};

const Thresholds kDefaultThresholds = {
    {245.0f, 215.0f, 85.0f, 400.0f, 40.0f, 12.0f},
    {250.0f, 210.0f, 95.0f, 450.0f, 20.0f, 15.0f},
};

static bool beyond(float value, float threshold, bool above) { return above ? value > threshold : value < threshold; }

Level evaluate(const Reading& reading, AlertType type, const Thresholds& t) {
  const AlertRule& rule = kAlertRules[type];
  if (!isValid(reading, rule.sensor)) return LEVEL_OK;
  const float value = reading.value[rule.sensor];
  if (beyond(value, t.critical[type], rule.above)) return LEVEL_CRITICAL;
  if (beyond(value, t.warning[type], rule.above)) return LEVEL_WARNING;
  return LEVEL_OK;
}

void annotateAlerts(Reading& reading, const Thresholds& t) {
  for (uint8_t i = 0; i < ALERT_TYPE_COUNT; ++i) {
    const AlertType type = static_cast<AlertType>(i);
    setAlertLevel(reading, type, evaluate(reading, type, t));
  }
}

Level groupLevel(const Reading& reading, AlertGroup group) {
  Level highest = LEVEL_OK;
  for (uint8_t i = 0; i < ALERT_TYPE_COUNT; ++i) {
    const Level level = alertLevel(reading, static_cast<AlertType>(i));
    if (kAlertRules[i].group == group && level > highest) highest = level;
  }
  return highest;
}

size_t AlertCooldown::due(const Reading& reading, const Thresholds& t, uint32_t now_ms, Alert* out) {
  size_t n = 0;
  for (uint8_t i = 0; i < ALERT_TYPE_COUNT; ++i) {
    const AlertType type = static_cast<AlertType>(i);
    const Level level = evaluate(reading, type, t);
    if (level == LEVEL_OK) continue;
    const int slot = level == LEVEL_CRITICAL ? 1 : 0;
    if (sent_[i][slot] && now_ms - last_sent_[i][slot] < cooldown_ms_) continue;
    sent_[i][slot] = true;
    last_sent_[i][slot] = now_ms;
    out[n++] = {type, level, reading.value[kAlertRules[i].sensor],
                level == LEVEL_CRITICAL ? t.critical[i] : t.warning[i]};
  }
  return n;
}

}  // namespace hp
