#include <doctest/doctest.h>

#include <string>

#include "config_check.h"

using namespace hp;

static DeviceConfig good() {
  return {"site1", "1.0.0", "internet", "mqtt.example.com", 1883, "+919876543210",
          10000, 300000, 5000, 300000, 30, kDefaultThresholds};
}

static bool mentions(const std::vector<std::string>& problems, const std::string& word) {
  for (const auto& p : problems)
    if (p.find(word) != std::string::npos) return true;
  return false;
}

TEST_CASE("the default configuration is valid") { CHECK(validateConfig(good()).empty()); }

TEST_CASE("each broken setting is reported") {
  struct Row { const char* name; void (*breakIt)(DeviceConfig&); const char* expected; };
  const Row rows[] = {
      {"empty id", [](DeviceConfig& c) { c.device_id = ""; }, "device id is empty"},
      {"slash in id", [](DeviceConfig& c) { c.device_id = "site/1"; }, "unsafe character"},
      {"wildcard in id", [](DeviceConfig& c) { c.device_id = "site+"; }, "unsafe character"},
      {"underscore first", [](DeviceConfig& c) { c.device_id = "_x"; }, "must not start"},
      {"long id", [](DeviceConfig& c) { c.device_id = std::string(65, 'a'); }, "longer than 64"},
      {"apn", [](DeviceConfig& c) { c.apn = ""; }, "APN"},
      {"host", [](DeviceConfig& c) { c.mqtt_host = ""; }, "broker host"},
      {"port", [](DeviceConfig& c) { c.mqtt_port = 70000; }, "port"},
      {"no admin", [](DeviceConfig& c) { c.admin_numbers = ""; }, "no admin number"},
      {"national admin", [](DeviceConfig& c) { c.admin_numbers = "+919876543210,09876543210"; }, "09876543210"},
      {"publish < sensor", [](DeviceConfig& c) { c.publish_interval_ms = 5000; }, "publish interval"},
      {"buffer too small", [](DeviceConfig& c) { c.publish_interval_ms = 1100000; }, "does not cover"},
      {"watchdog", [](DeviceConfig& c) { c.watchdog_timeout_s = 5; }, "watchdog"},
      {"cooldown", [](DeviceConfig& c) { c.alert_cooldown_ms = 1000; }, "cooldown"},
      {"thresholds", [](DeviceConfig& c) { c.thresholds.critical[ALERT_PRESSURE_LOW] = 45.0f; }, "pressure_low"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    DeviceConfig c = good();
    row.breakIt(c);
    const auto problems = validateConfig(c);
    CHECK(problems.size() == 1);
    CHECK(mentions(problems, row.expected));
  }
}
