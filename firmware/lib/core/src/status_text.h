// The STATUS answer (docs/CONTRACTS.md "STATUS text"), fitted into one SMS (160 characters).
#pragma once
#include <cstdint>
#include <string>

#include "reading.h"

namespace hp {

struct StatusInfo {
  const char* device_id;
  const Reading* latest;  // nullptr before the first reading
  uint16_t buffered;
  uint16_t capacity;
  int signal_percent;     // -1 unknown
  uint32_t uptime_s;
};

/**
 * HEAT PUMP STATUS / Device / Temps / V I P / Pressure / Alerts / Buffer / Signal / Uptime.
 * Invalid values show as "--". Alerts list short codes (VH VL CT PH PL I) with "!" for
 * warning and "!!" for critical. When the text would exceed 160 characters, Uptime, Signal,
 * then Pressure lines are left out, and at last the text is cut.
 */
std::string buildStatusText(const StatusInfo& info);

/** "2d 5h 30m" */
std::string formatUptime(uint32_t seconds);

}  // namespace hp
