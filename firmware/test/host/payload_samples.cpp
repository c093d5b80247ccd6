// Prints payloads built by the real core, one per line: <name> TAB <topic> TAB <payload>.
// test/contract/firmware-payloads.test.ts feeds them to heatpump-decode.
#include <cstdio>
#include <string>

#include "fixtures.h"
#include "payload.h"

using namespace hp;

static const DeviceInfo kDevice{"site1", "1.0.0"};
static const ClockSync kNoClock{false, 0, 0, 0};
static char buffer[kMaxBatchBytes];
static ReadingRing ring;

static void print(const char* name, const char* topic, size_t length) {
  std::printf("%s\t%s\t%.*s\n", name, topic, static_cast<int>(length), buffer);
}

static void printBatches(const char* name) {
  for (int part = 1; ring.count > 0; ++part) {
    const Batch batch = buildBatch(buffer, sizeof buffer, ring, kDevice, kNoClock);
    const std::string label = std::string(name) + "-" + std::to_string(part);
    print(label.c_str(), "heatpump/site1/data", batch.length);
    ringDropOldest(ring, batch.count);
    ringClearDropped(ring);
  }
}

int main() {
  print("single", "heatpump/site1/data", buildReadingPayload(buffer, sizeof buffer, test::seedReading(), kDevice, kNoClock, 0));

  ringReset(ring);
  for (int i = 0; i < 30; ++i) {
    Reading r = test::seedReading();
    r.timestamp_ms += i * 10000LL;
    setValue(r, TEMP_INLET, 45.0f + static_cast<float>(i) * 0.1f, true);
    ringPush(ring, r);
  }
  printBatches("batch30");

  Reading invalid = test::seedReading();
  setValue(invalid, TEMP_OUTLET, 0.0f, false);
  setValue(invalid, CURRENT, 0.0f, false);
  setValue(invalid, PRESSURE_HIGH, 0.0f, false);
  setValue(invalid, PRESSURE_LOW, 0.0f, false);
  invalid.compressor_running = false;
  print("invalid", "heatpump/site1/data", buildReadingPayload(buffer, sizeof buffer, invalid, kDevice, kNoClock, 0));

  // 103 readings into the 100-slot buffer: 3 dropped, reported on the oldest kept reading.
  ringReset(ring);
  for (int i = 0; i < 103; ++i) {
    Reading r = test::seedReading();
    r.timestamp_ms += i * 10000LL;
    ringPush(ring, r);
  }
  const Batch first = buildBatch(buffer, sizeof buffer, ring, kDevice, kNoClock);
  print("overflow", "heatpump/site1/data", first.length);

  Reading hot = test::seedReading();
  setValue(hot, VOLTAGE, 251.2f, true);
  annotateAlerts(hot, kDefaultThresholds);
  AlertCooldown cooldown(300000);
  Alert alerts[ALERT_TYPE_COUNT];
  if (cooldown.due(hot, kDefaultThresholds, 0, alerts) != 1) return 1;
  print("alert", "heatpump/site1/alerts", buildAlertPayload(buffer, sizeof buffer, alerts[0], kDevice, 1706600000000LL));
  return 0;
}
