// Shared test helpers for the host tests.
#pragma once
#include <cstring>
#include <string>

#include "reading.h"

namespace hp::test {

/** The example reading of the device contract (docs/CONTRACTS.md), all sensors valid. */
inline Reading seedReading() {
  Reading r;
  std::memset(&r, 0, sizeof r);
  r.timestamp_ms = 1706600000000LL;
  setValue(r, TEMP_INLET, 45.2f, true);
  setValue(r, TEMP_OUTLET, 50.1f, true);
  setValue(r, TEMP_AMBIENT, 25.0f, true);
  setValue(r, TEMP_COMPRESSOR, 70.5f, true);
  setValue(r, VOLTAGE, 230.5f, true);
  setValue(r, CURRENT, 8.5f, true);
  setValue(r, PRESSURE_HIGH, 280.0f, true);
  setValue(r, PRESSURE_LOW, 70.0f, true);
  r.compressor_running = true;
  r.fan_running = true;
  r.defrost_active = false;
  r.signal_percent = 65;
  return r;
}

}  // namespace hp::test
