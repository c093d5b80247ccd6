#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "sensors.h"

using namespace hp;

// Counts a 10k/NTC divider gives for a resistance, as the ADC would read it.
static uint16_t countsFor(double ntc_ohms) {
  return static_cast<uint16_t>(std::lround(4095.0 * ntc_ohms / (10000.0 + ntc_ohms)));
}

TEST_CASE("NTC 10k B3950: temperatures across the range round-trip through the divider") {
  for (float celsius : {-30.0f, 0.0f, 25.0f, 50.0f, 85.0f, 110.0f}) {
    CAPTURE(celsius);
    // R(T) = 10k * exp(3950 * (1/T - 1/298.15))
    const double ohms = 10000.0 * std::exp(3950.0 * (1.0 / (celsius + 273.15) - 1.0 / 298.15));
    const Measurement m = ntcCelsius(countsFor(ohms));
    CHECK(m.valid);
    // 12-bit quantisation costs up to ~0.3 degC at the ends of the range.
    CHECK(std::fabs(m.value - celsius) < 0.35f);
  }
  CHECK(ntcCelsius(countsFor(10000.0)).value == doctest::Approx(25.0f).epsilon(0.001));
}

TEST_CASE("NTC: open and short circuit are invalid") {
  CHECK_FALSE(ntcCelsius(4095).valid);  // NTC missing: pin pulled to 3.3 V
  CHECK_FALSE(ntcCelsius(4085).valid);
  CHECK_FALSE(ntcCelsius(0).valid);     // NTC shorted: pin at GND
  CHECK_FALSE(ntcCelsius(10).valid);
  CHECK(ntcCelsius(2048).valid);
}

TEST_CASE("NTC: beyond the -40..125 degC range is invalid") {
  CHECK_FALSE(ntcCelsius(countsFor(100.0)).valid);     // ~ +250 degC
  CHECK_FALSE(ntcCelsius(countsFor(600000.0)).valid);  // ~ -50 degC
  CHECK(ntcCelsius(countsFor(400.0)).valid);           // ~ +121 degC
}

static std::vector<uint16_t> sine(double mean, double amplitude, size_t n = 400, double cycles = 2.0) {
  std::vector<uint16_t> samples(n);
  for (size_t i = 0; i < n; ++i) {
    const double v = mean + amplitude * std::sin(2.0 * M_PI * cycles * static_cast<double>(i) / static_cast<double>(n));
    samples[i] = static_cast<uint16_t>(std::lround(std::fmin(4095.0, std::fmax(0.0, v))));
  }
  return samples;
}

TEST_CASE("AC window: mean and RMS of a sine") {
  const auto s = sine(2048, 1000);
  const AcWindow w = analyseAcWindow(s.data(), s.size());
  CHECK(w.mean_counts == doctest::Approx(2048).epsilon(0.001));
  CHECK(w.rms_counts == doctest::Approx(1000 / std::sqrt(2.0)).epsilon(0.005));
  CHECK(w.clipped_fraction == 0.0f);
}

TEST_CASE("ZMPT101B: 230 V RMS with the calibration constant") {
  // 0.23 V mains per mV at the pin: 230 V = 1000 mV RMS = 1000 / 0.8059 counts RMS.
  const double rms_counts = 1000.0 / (3300.0 / 4095.0);
  const auto s = sine(2048, rms_counts * std::sqrt(2.0));
  const Measurement m = acRms(s.data(), s.size(), kZmpt101b);
  CHECK(m.valid);
  CHECK(m.value == doctest::Approx(230.0).epsilon(0.01));
}

TEST_CASE("ACS712-20A: 8.5 A RMS, and noise below the floor reads 0") {
  const double rms_counts = 8.5 * 66.67 / (3300.0 / 4095.0);
  const auto s = sine(2048, rms_counts * std::sqrt(2.0));
  const Measurement m = acRms(s.data(), s.size(), kAcs712_20a);
  CHECK(m.valid);
  CHECK(m.value == doctest::Approx(8.5).epsilon(0.01));
  const auto quiet = sine(2048, 3);
  const Measurement idle = acRms(quiet.data(), quiet.size(), kAcs712_20a);
  CHECK(idle.valid);
  CHECK(idle.value == 0.0f);
}

TEST_CASE("AC sensors: missing bias, clipping and over-range are invalid") {
  const auto unplugged = sine(5, 2);  // pin floating at GND
  CHECK_FALSE(acRms(unplugged.data(), unplugged.size(), kZmpt101b).valid);
  const auto railed = sine(4090, 2);
  CHECK_FALSE(acRms(railed.data(), railed.size(), kZmpt101b).valid);
  const auto clipped = sine(2048, 2500);  // wave cut at both rails
  CHECK_FALSE(acRms(clipped.data(), clipped.size(), kZmpt101b).valid);
  const double rms_25a = 25.0 * 66.67 / (3300.0 / 4095.0);
  const auto over = sine(2048, rms_25a * std::sqrt(2.0) * 0.5);  // 12.5 A: in range
  CHECK(acRms(over.data(), over.size(), kAcs712_20a).valid);
  CHECK_FALSE(acRms(nullptr, 0, kAcs712_20a).valid);
}

TEST_CASE("pressure transducer 0.5-4.5 V -> 0-500 PSI behind a 2/3 divider") {
  struct Row { float sensor_v; bool valid; float psi; };
  const Row rows[] = {
      {0.5f, true, 0.0f}, {2.5f, true, 250.0f}, {4.5f, true, 500.0f}, {2.74f, true, 280.0f},
      {0.45f, true, 0.0f},   // within tolerance: clamped
      {0.0f, false, 0.0f},   // broken wire
      {0.3f, false, 0.0f},
      {4.8f, false, 0.0f},   // shorted to the 5 V supply
  };
  for (const Row& row : rows) {
    CAPTURE(row.sensor_v);
    const Measurement m = pressurePsi(row.sensor_v * 0.667f * 1000.0f);
    CHECK(m.valid == row.valid);
    if (row.valid) CHECK(m.value == doctest::Approx(row.psi).epsilon(0.002));
  }
}
