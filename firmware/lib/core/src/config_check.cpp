#include "config_check.h"

#include <cstring>

#include "commands.h"
#include "ring_buffer.h"

namespace hp {

std::string deviceIdProblem(const std::string& id) {
  if (id.empty()) return "device id is empty";
  if (id.size() > 64) return "device id is longer than 64 characters";
  if (id[0] == '_') return "device id must not start with \"_\"";
  for (char c : id) {
    const unsigned char u = static_cast<unsigned char>(c);
    // MQTT wildcards and level separator, line-protocol separators and quoting, whitespace.
    if (std::strchr("+#/,=\"\\ ", c) != nullptr || u < 0x20 || u == 0x7F)
      return std::string("device id contains an unsafe character");
  }
  return "";
}

std::vector<std::string> validateConfig(const DeviceConfig& c) {
  std::vector<std::string> problems;
  const std::string id_problem = deviceIdProblem(c.device_id);
  if (!id_problem.empty()) problems.push_back(id_problem);
  if (c.firmware_version.empty()) problems.push_back("firmware version is empty");
  if (c.apn.empty()) problems.push_back("APN is empty");
  if (c.mqtt_host.empty()) problems.push_back("MQTT broker host is empty");
  if (c.mqtt_port < 1 || c.mqtt_port > 65535) problems.push_back("MQTT port must be 1..65535");

  const std::vector<std::string> admins = parseNumberList(c.admin_numbers);
  if (admins.empty()) problems.push_back("no admin number: SMS alerts and commands are disabled");
  for (const auto& n : admins)
    if (!isE164(n)) problems.push_back("admin number " + n + " is not +E164 (e.g. +919876543210)");

  if (c.sensor_interval_ms < 1000) problems.push_back("sensor interval must be at least 1 s");
  if (c.publish_interval_ms < c.sensor_interval_ms)
    problems.push_back("publish interval must not be shorter than the sensor interval");
  if (c.sms_check_interval_ms < 1000) problems.push_back("SMS check interval must be at least 1 s");
  if (c.alert_cooldown_ms < c.sensor_interval_ms)
    problems.push_back("alert cooldown must not be shorter than the sensor interval");
  if (c.watchdog_timeout_s < 10 || c.watchdog_timeout_s > 120)
    problems.push_back("watchdog timeout must be 10..120 s");
  // 100 readings must cover at least one publish interval, or data is lost even when online.
  if (static_cast<uint64_t>(c.sensor_interval_ms) * kBufferCapacity < c.publish_interval_ms)
    problems.push_back("buffer of 100 readings does not cover one publish interval");

  for (uint8_t i = 0; i < ALERT_TYPE_COUNT; ++i) {
    const AlertRule& rule = kAlertRules[i];
    const float w = c.thresholds.warning[i], k = c.thresholds.critical[i];
    if (rule.above ? !(w < k) : !(w > k))
      problems.push_back(std::string(rule.type) + ": warning threshold must come before critical");
  }
  return problems;
}

}  // namespace hp
