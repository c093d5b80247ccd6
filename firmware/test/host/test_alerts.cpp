#include <doctest/doctest.h>

#include "alerts.h"
#include "fixtures.h"

using namespace hp;

static Reading with(Sensor s, float v) {
  Reading r = test::seedReading();
  setValue(r, s, v, true);
  return r;
}

TEST_CASE("alert thresholds of the alert contract") {
  struct Row { AlertType type; Sensor sensor; float value; Level expected; };
  const Row rows[] = {
      {ALERT_VOLTAGE_HIGH, VOLTAGE, 245.0f, LEVEL_OK},      {ALERT_VOLTAGE_HIGH, VOLTAGE, 245.1f, LEVEL_WARNING},
      {ALERT_VOLTAGE_HIGH, VOLTAGE, 250.0f, LEVEL_WARNING}, {ALERT_VOLTAGE_HIGH, VOLTAGE, 250.1f, LEVEL_CRITICAL},
      {ALERT_VOLTAGE_LOW, VOLTAGE, 215.0f, LEVEL_OK},       {ALERT_VOLTAGE_LOW, VOLTAGE, 214.9f, LEVEL_WARNING},
      {ALERT_VOLTAGE_LOW, VOLTAGE, 209.9f, LEVEL_CRITICAL}, {ALERT_COMPRESSOR_TEMP, TEMP_COMPRESSOR, 85.5f, LEVEL_WARNING},
      {ALERT_COMPRESSOR_TEMP, TEMP_COMPRESSOR, 95.5f, LEVEL_CRITICAL},
      {ALERT_PRESSURE_HIGH, PRESSURE_HIGH, 400.5f, LEVEL_WARNING}, {ALERT_PRESSURE_HIGH, PRESSURE_HIGH, 451.0f, LEVEL_CRITICAL},
      {ALERT_PRESSURE_LOW, PRESSURE_LOW, 39.0f, LEVEL_WARNING},    {ALERT_PRESSURE_LOW, PRESSURE_LOW, 19.0f, LEVEL_CRITICAL},
      {ALERT_PRESSURE_LOW, PRESSURE_LOW, 40.0f, LEVEL_OK},
      {ALERT_CURRENT, CURRENT, 12.5f, LEVEL_WARNING},       {ALERT_CURRENT, CURRENT, 15.5f, LEVEL_CRITICAL},
  };
  for (const Row& row : rows) {
    CAPTURE(kAlertRules[row.type].type);
    CAPTURE(row.value);
    CHECK(evaluate(with(row.sensor, row.value), row.type, kDefaultThresholds) == row.expected);
  }
}

TEST_CASE("an invalid sensor never raises an alert") {
  Reading r = with(VOLTAGE, 300.0f);
  setValue(r, VOLTAGE, 300.0f, false);
  CHECK(evaluate(r, ALERT_VOLTAGE_HIGH, kDefaultThresholds) == LEVEL_OK);
  Reading p = test::seedReading();
  setValue(p, PRESSURE_LOW, 0.0f, false);  // transducer not fitted reads 0
  CHECK(evaluate(p, ALERT_PRESSURE_LOW, kDefaultThresholds) == LEVEL_OK);
}

TEST_CASE("annotateAlerts: payload groups take the highest level, voltage covers high and low") {
  Reading r = with(VOLTAGE, 209.0f);
  setValue(r, CURRENT, 13.0f, true);
  annotateAlerts(r, kDefaultThresholds);
  CHECK(alertLevel(r, ALERT_VOLTAGE_LOW) == LEVEL_CRITICAL);
  CHECK(alertLevel(r, ALERT_VOLTAGE_HIGH) == LEVEL_OK);
  CHECK(groupLevel(r, GROUP_VOLTAGE) == LEVEL_CRITICAL);
  CHECK(groupLevel(r, GROUP_CURRENT) == LEVEL_WARNING);
  CHECK(groupLevel(r, GROUP_PRESSURE_HIGH) == LEVEL_OK);
}

TEST_CASE("cooldown: the same alert and level is not repeated within 5 minutes") {
  AlertCooldown cooldown(300000);
  Alert out[ALERT_TYPE_COUNT];
  const Reading high = with(VOLTAGE, 252.0f);
  REQUIRE(cooldown.due(high, kDefaultThresholds, 1000, out) == 1);
  CHECK(out[0].type == ALERT_VOLTAGE_HIGH);
  CHECK(out[0].level == LEVEL_CRITICAL);
  CHECK(out[0].value == doctest::Approx(252.0f));
  CHECK(out[0].threshold == doctest::Approx(250.0f));
  CHECK(cooldown.due(high, kDefaultThresholds, 11000, out) == 0);
  CHECK(cooldown.due(high, kDefaultThresholds, 300999, out) == 0);
  // A different level of the same type is a different alert.
  REQUIRE(cooldown.due(with(VOLTAGE, 247.0f), kDefaultThresholds, 20000, out) == 1);
  CHECK(out[0].level == LEVEL_WARNING);
  CHECK(cooldown.due(high, kDefaultThresholds, 301000, out) == 1);
  CHECK(cooldown.due(with(VOLTAGE, 230.0f), kDefaultThresholds, 900000, out) == 0);
}

TEST_CASE("cooldown: correct across the millis() wrap") {
  AlertCooldown cooldown(300000);
  Alert out[ALERT_TYPE_COUNT];
  const Reading hot = with(TEMP_COMPRESSOR, 99.0f);
  CHECK(cooldown.due(hot, kDefaultThresholds, 0xFFFFFF00u, out) == 1);
  CHECK(cooldown.due(hot, kDefaultThresholds, 1000u, out) == 0);
  CHECK(cooldown.due(hot, kDefaultThresholds, 300000u, out) == 1);
}
