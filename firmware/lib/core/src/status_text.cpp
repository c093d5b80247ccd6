#include "status_text.h"

#include <cmath>
#include <cstdio>

#include "alerts.h"
#include "commands.h"

namespace hp {

namespace {

std::string whole(const Reading* r, Sensor s) {
  if (r == nullptr || !isValid(*r, s)) return "--";
  char text[16];
  std::snprintf(text, sizeof text, "%.0f", static_cast<double>(r->value[s]));
  return text;
}

std::string oneDecimal(const Reading* r, Sensor s) {
  if (r == nullptr || !isValid(*r, s)) return "--";
  char text[16];
  std::snprintf(text, sizeof text, "%.1f", static_cast<double>(r->value[s]));
  return text;
}

std::string alertsSummary(const Reading* r) {
  static const char* const kCodes[ALERT_TYPE_COUNT] = {"VH", "VL", "CT", "PH", "PL", "I"};
  if (r == nullptr) return "--";
  std::string out;
  // The reading carries the levels it was checked with (the configured thresholds).
  for (uint8_t i = 0; i < ALERT_TYPE_COUNT; ++i) {
    const Level level = alertLevel(*r, static_cast<AlertType>(i));
    if (level == LEVEL_OK) continue;
    if (!out.empty()) out += ' ';
    out += kCodes[i];
    out += level == LEVEL_CRITICAL ? "!!" : "!";
  }
  return out.empty() ? "OK" : out;
}

}  // namespace

std::string formatUptime(uint32_t seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%lud %luh %lum", static_cast<unsigned long>(seconds / 86400),
                static_cast<unsigned long>(seconds % 86400 / 3600), static_cast<unsigned long>(seconds % 3600 / 60));
  return text;
}

std::string buildStatusText(const StatusInfo& info) {
  const Reading* r = info.latest;
  char buffer_line[40];
  std::snprintf(buffer_line, sizeof buffer_line, "Buffer: %u/%u readings", static_cast<unsigned>(info.buffered),
                static_cast<unsigned>(info.capacity));
  std::string power = r != nullptr && powerValid(*r) ? std::to_string(static_cast<long>(std::lround(hp::power(*r)))) : "--";

  const std::string head = "HEAT PUMP STATUS\nDevice: " + std::string(info.device_id) + "\nTemps: " +
                           whole(r, TEMP_INLET) + "/" + whole(r, TEMP_OUTLET) + "/" + whole(r, TEMP_AMBIENT) + "/" +
                           whole(r, TEMP_COMPRESSOR) + "C\nV: " + whole(r, VOLTAGE) + "V I: " + oneDecimal(r, CURRENT) +
                           "A P: " + power + "W";
  const std::string pressure = "\nPressure: " + whole(r, PRESSURE_HIGH) + "/" + whole(r, PRESSURE_LOW) + " PSI";
  const std::string tail = "\nAlerts: " + alertsSummary(r) + "\n" + buffer_line;
  const std::string signal = info.signal_percent < 0 ? "\nSignal: --" : "\nSignal: " + std::to_string(info.signal_percent) + "%";
  const std::string uptime = "\nUptime: " + formatUptime(info.uptime_s);

  // Most useful first: leave out the least useful lines until it fits one SMS.
  const std::string candidates[] = {
      head + pressure + tail + signal + uptime,
      head + pressure + tail + signal,
      head + pressure + tail,
      head + tail,
  };
  for (const std::string& text : candidates)
    if (toGsmText(text).size() <= kSmsMaxChars) return toGsmText(text);
  return toGsmText(head + tail).substr(0, kSmsMaxChars);
}

}  // namespace hp
