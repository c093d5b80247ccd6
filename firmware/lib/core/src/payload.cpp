#include "payload.h"

namespace hp {

const char* const kSensorKeys[SENSOR_COUNT] = {"temp_inlet", "temp_outlet", "temp_ambient", "temp_compressor",
                                               "voltage",    "current",     "pressure_high", "pressure_low"};
const char* const kAlertGroupKeys[GROUP_COUNT] = {"voltage", "compressor_temp", "pressure_high", "pressure_low",
                                                  "current"};

int64_t clockNow(const ClockSync& clock, uint32_t uptime_ms) {
  if (!clock.known) return 0;
  // Unsigned difference: correct across the 49-day millis() wrap.
  return clock.epoch_ms + static_cast<int64_t>(static_cast<uint32_t>(uptime_ms - clock.uptime_ms));
}

int64_t resolveTimestamp(const Reading& reading, const ClockSync& clock) {
  if (reading.timestamp_ms != 0) return reading.timestamp_ms;
  if (!clock.known || reading.boot != clock.boot) return 0;
  return clock.epoch_ms - static_cast<int64_t>(static_cast<uint32_t>(clock.uptime_ms - reading.uptime_ms));
}

static void writeValue(JsonWriter& out, const char* key, const Reading& r, Sensor s) {
  out.key(key);
  if (isValid(r, s)) out.number(r.value[s]);
  else out.null();
}

void writeReading(JsonWriter& out, const Reading& r, const DeviceInfo& device, int64_t timestamp,
                  uint32_t overflow) {
  out.beginObject();
  out.key("device");
  out.string(device.device_id);
  out.key("timestamp");
  out.integer(timestamp);
  out.key("version");
  out.string(device.firmware_version);

  out.key("temperature");
  out.beginObject();
  writeValue(out, "inlet", r, TEMP_INLET);
  writeValue(out, "outlet", r, TEMP_OUTLET);
  writeValue(out, "ambient", r, TEMP_AMBIENT);
  writeValue(out, "compressor", r, TEMP_COMPRESSOR);
  out.endObject();

  out.key("electrical");
  out.beginObject();
  writeValue(out, "voltage", r, VOLTAGE);
  writeValue(out, "current", r, CURRENT);
  out.key("power");
  if (powerValid(r)) out.number(power(r));
  else out.null();
  out.endObject();

  out.key("pressure");
  out.beginObject();
  writeValue(out, "high", r, PRESSURE_HIGH);
  writeValue(out, "low", r, PRESSURE_LOW);
  out.endObject();

  out.key("status");
  out.beginObject();
  out.key("compressor");
  out.boolean(r.compressor_running);
  out.key("fan");
  out.boolean(r.fan_running);
  out.key("defrost");
  out.boolean(r.defrost_active);
  out.endObject();

  out.key("alerts");
  out.beginObject();
  for (uint8_t g = 0; g < GROUP_COUNT; ++g) {
    out.key(kAlertGroupKeys[g]);
    out.integer(groupLevel(r, static_cast<AlertGroup>(g)));
  }
  out.endObject();

  out.key("valid");
  out.beginObject();
  for (uint8_t s = 0; s < SENSOR_COUNT; ++s) {
    out.key(kSensorKeys[s]);
    out.boolean(isValid(r, static_cast<Sensor>(s)));
  }
  out.endObject();

  out.key("overflow");
  out.integer(overflow);
  out.key("signal");
  out.integer(r.signal_percent);
  out.endObject();
}

size_t buildReadingPayload(char* buffer, size_t capacity, const Reading& reading, const DeviceInfo& device,
                           const ClockSync& clock, uint32_t overflow) {
  JsonWriter out(buffer, capacity);
  writeReading(out, reading, device, resolveTimestamp(reading, clock), overflow);
  return out.overflowed() ? 0 : out.length();
}

Batch buildBatch(char* buffer, size_t capacity, const ReadingRing& ring, const DeviceInfo& device,
                 const ClockSync& clock, uint16_t max_readings) {
  JsonWriter out(buffer, capacity);
  out.beginArray();
  uint16_t count = 0;
  while (count < ring.count && count < max_readings) {
    const size_t before = out.length();
    const Reading& r = ringAt(ring, count);
    writeReading(out, r, device, resolveTimestamp(r, clock), count == 0 ? ring.dropped : 0);
    // Room for the closing bracket too; otherwise this reading waits for the next batch.
    if (out.overflowed() || out.length() + 1 >= capacity) {
      out.truncate(before);
      break;
    }
    ++count;
  }
  if (count == 0) return {0, 0};
  out.endArray();
  if (out.overflowed()) return {0, 0};
  return {out.length(), count};
}

size_t buildAlertPayload(char* buffer, size_t capacity, const Alert& alert, const DeviceInfo& device,
                         int64_t timestamp) {
  const AlertRule& rule = kAlertRules[alert.type];
  JsonWriter out(buffer, capacity);
  out.beginObject();
  out.key("device");
  out.string(device.device_id);
  out.key("timestamp");
  out.integer(timestamp);
  out.key("alert_type");
  out.string(rule.type);
  out.key("level");
  out.string(alert.level == LEVEL_CRITICAL ? "critical" : "warning");
  out.key("value");
  out.number(alert.value);
  out.key("threshold");
  out.number(alert.threshold);
  out.key("message");
  out.string(rule.message);
  out.endObject();
  return out.overflowed() ? 0 : out.length();
}

}  // namespace hp
