// Configuration validation printed at boot ("--- Configuration Validation ---").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "alerts.h"

namespace hp {

struct DeviceConfig {
  std::string device_id;
  std::string firmware_version;
  std::string apn;
  std::string mqtt_host;
  long mqtt_port;
  std::string admin_numbers;  // comma-separated +E164 numbers
  uint32_t sensor_interval_ms;
  uint32_t publish_interval_ms;
  uint32_t sms_check_interval_ms;
  uint32_t alert_cooldown_ms;
  uint32_t watchdog_timeout_s;
  Thresholds thresholds;
};

/** Same rule as the server's deviceIdProblem (nodes/shared/device-id.ts); empty when safe. */
std::string deviceIdProblem(const std::string& id);

/** Every problem found, one sentence each; empty when the configuration is usable. */
std::vector<std::string> validateConfig(const DeviceConfig& config);

}  // namespace hp
