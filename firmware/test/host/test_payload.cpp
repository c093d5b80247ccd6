#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "fixtures.h"
#include "payload.h"

using namespace hp;

static const DeviceInfo kDevice{"site1", "1.0.0"};
static const ClockSync kNoClock{false, 0, 0, 0};

TEST_CASE("reading payload: exactly the example reading of the device contract") {
  char buf[1024];
  const size_t n = buildReadingPayload(buf, sizeof buf, test::seedReading(), kDevice, kNoClock, 0);
  CHECK(std::string(buf, n) ==
        "{\"device\":\"site1\",\"timestamp\":1706600000000,\"version\":\"1.0.0\","
        "\"temperature\":{\"inlet\":45.2,\"outlet\":50.1,\"ambient\":25.0,\"compressor\":70.5},"
        "\"electrical\":{\"voltage\":230.5,\"current\":8.5,\"power\":1959.25},"
        "\"pressure\":{\"high\":280.0,\"low\":70.0},"
        "\"status\":{\"compressor\":true,\"fan\":true,\"defrost\":false},"
        "\"alerts\":{\"voltage\":0,\"compressor_temp\":0,\"pressure_high\":0,\"pressure_low\":0,\"current\":0},"
        "\"valid\":{\"temp_inlet\":true,\"temp_outlet\":true,\"temp_ambient\":true,\"temp_compressor\":true,"
        "\"voltage\":true,\"current\":true,\"pressure_high\":true,\"pressure_low\":true},"
        "\"overflow\":0,\"signal\":65}");
}

TEST_CASE("reading payload: invalid sensors are null with valid false; power follows V and I") {
  Reading r = test::seedReading();
  setValue(r, TEMP_OUTLET, 0.0f, false);
  setValue(r, CURRENT, 0.0f, false);
  setValue(r, PRESSURE_LOW, 0.0f, false);
  char buf[1024];
  const std::string json(buf, buildReadingPayload(buf, sizeof buf, r, kDevice, kNoClock, 3));
  CHECK(json.find("\"outlet\":null") != std::string::npos);
  CHECK(json.find("\"current\":null,\"power\":null") != std::string::npos);
  CHECK(json.find("\"low\":null") != std::string::npos);
  CHECK(json.find("\"temp_outlet\":false") != std::string::npos);
  CHECK(json.find("\"current\":false") != std::string::npos);
  CHECK(json.find("\"voltage\":230.5") != std::string::npos);
  CHECK(json.find("\"overflow\":3") != std::string::npos);
  CHECK(json.find("NaN") == std::string::npos);
}

TEST_CASE("reading payload: alert levels per group") {
  Reading r = test::seedReading();
  setValue(r, VOLTAGE, 252.0f, true);
  setValue(r, TEMP_COMPRESSOR, 88.0f, true);
  annotateAlerts(r, kDefaultThresholds);
  char buf[1024];
  const std::string json(buf, buildReadingPayload(buf, sizeof buf, r, kDevice, kNoClock, 0));
  CHECK(json.find("\"alerts\":{\"voltage\":2,\"compressor_temp\":1,\"pressure_high\":0,\"pressure_low\":0,\"current\":0}") !=
        std::string::npos);
}

TEST_CASE("timestamps: own, back-dated from a later clock sync in the same boot, else 0") {
  Reading r = test::seedReading();
  r.timestamp_ms = 0;
  r.uptime_ms = 5000;
  r.boot = 7;
  const ClockSync clock{true, 1706600060000LL, 65000, 7};
  CHECK(resolveTimestamp(r, clock) == 1706600000000LL);
  CHECK(resolveTimestamp(r, kNoClock) == 0);
  r.boot = 6;  // read before a reset: its uptime is not comparable
  CHECK(resolveTimestamp(r, clock) == 0);
  r.timestamp_ms = 1706000000000LL;
  CHECK(resolveTimestamp(r, clock) == 1706000000000LL);
  CHECK(clockNow(clock, 66000) == 1706600061000LL);
  CHECK(clockNow(kNoClock, 66000) == 0);
  // millis() wrapped since the sync
  const ClockSync late{true, 1706600000000LL, 0xFFFFF000u, 7};
  CHECK(clockNow(late, 0x00000F00u) == 1706600000000LL + 0x1F00);
}

TEST_CASE("batch: arrays of at most 10 readings under the byte limit; overflow on the oldest only") {
  static ReadingRing ring;
  ringReset(ring);
  for (int i = 0; i < 103; ++i) {
    Reading r = test::seedReading();
    r.timestamp_ms += i * 10000LL;
    ringPush(ring, r);
  }
  REQUIRE(ring.dropped == 3);
  static char buf[kMaxBatchBytes];
  const Batch first = buildBatch(buf, sizeof buf, ring, kDevice, kNoClock);
  CHECK(first.count == 10);
  CHECK(first.length < kMaxBatchBytes);
  const std::string json(buf, first.length);
  CHECK(json.front() == '[');
  CHECK(json.back() == ']');
  CHECK(json.find("\"timestamp\":1706600030000") != std::string::npos);  // readings 0..2 were dropped
  CHECK(json.find("\"overflow\":3") != std::string::npos);
  CHECK(json.find("\"overflow\":3", json.find("\"overflow\":3") + 1) == std::string::npos);

  // The byte limit wins over the count: 2 KB hold 3 readings of ~560 bytes.
  char small[2048];
  const Batch limited = buildBatch(small, sizeof small, ring, kDevice, kNoClock);
  CHECK(limited.count == 3);
  CHECK(small[limited.length - 1] == ']');

  // Publishing everything takes 10 batches and leaves the ring empty.
  int batches = 0;
  while (ring.count > 0) {
    const Batch b = buildBatch(buf, sizeof buf, ring, kDevice, kNoClock);
    REQUIRE(b.count > 0);
    ringDropOldest(ring, b.count);
    ringClearDropped(ring);
    ++batches;
  }
  CHECK(batches == 10);
  CHECK(buildBatch(buf, sizeof buf, ring, kDevice, kNoClock).count == 0);
}

TEST_CASE("device alert payload") {
  char buf[256];
  const Alert alert{ALERT_VOLTAGE_HIGH, LEVEL_WARNING, 251.2f, 250.0f};
  const size_t n = buildAlertPayload(buf, sizeof buf, alert, kDevice, 1706600000000LL);
  CHECK(std::string(buf, n) ==
        "{\"device\":\"site1\",\"timestamp\":1706600000000,\"alert_type\":\"voltage_high\",\"level\":\"warning\","
        "\"value\":251.2,\"threshold\":250.0,\"message\":\"High voltage\"}");
  CHECK(buildAlertPayload(buf, 40, alert, kDevice, 0) == 0);
}
