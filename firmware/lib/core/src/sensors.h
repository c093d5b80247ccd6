// Conversion of raw ADC samples to physical values (sensor rules in firmware/README.md). Pure
// arithmetic, no I/O: the glue samples the pins and passes the counts in.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hp {

struct Measurement {
  float value;
  bool valid;
};

constexpr uint16_t kAdcMax = 4095;  // 12-bit ADC

/** NTC thermistor in a divider: 3.3 V -> series resistor -> ADC pin -> NTC -> GND. */
struct NtcConfig {
  float series_ohms;     // 10 kOhm
  float nominal_ohms;    // 10 kOhm at 25 degC
  float beta;            // 3950
  uint16_t short_below;  // counts at or below: NTC shorted (pin pulled to GND)
  uint16_t open_above;   // counts at or above: NTC missing (pin pulled to 3.3 V)
  float min_c, max_c;    // sensor range, -40..125 degC
};
constexpr NtcConfig kNtc10kB3950{10000.0f, 10000.0f, 3950.0f, 15, 4080, -40.0f, 125.0f};

/** Temperature in degC from one 12-bit count; invalid on open or short circuit or out of range. */
Measurement ntcCelsius(uint16_t counts, const NtcConfig& cfg = kNtc10kB3950);

/** Statistics of one window of AC samples (counts), centred on the sensor's bias. */
struct AcWindow {
  float mean_counts;
  float rms_counts;  // RMS of (sample - mean): the AC part only
  float clipped_fraction;  // samples at 0 or kAdcMax
};
AcWindow analyseAcWindow(const uint16_t* samples, size_t count);

struct AcConfig {
  float mv_per_count;      // ADC scale, 3300 / 4095 nominal; calibrate per board
  float units_per_mv_rms;  // ZMPT101B: mains volts per mV RMS at the pin; ACS712: amps per mV
  float noise_floor;       // readings below this are reported as 0 (sensor noise, no load)
  float max_value;         // above: out of the sensor's range -> invalid
  float bias_min_fraction, bias_max_fraction;  // bias outside: sensor unpowered / unplugged
};
/** ZMPT101B on a 3.3 V ADC, module trimmed to ~1 V RMS at 230 V. */
constexpr AcConfig kZmpt101b{3300.0f / 4095.0f, 0.23f, 5.0f, 300.0f, 0.2f, 0.8f};
/** ACS712-20A (100 mV/A at 5 V) through a 10k/20k divider: 66.7 mV/A at the pin. */
constexpr AcConfig kAcs712_20a{3300.0f / 4095.0f, 1.0f / 66.67f, 0.15f, 20.0f, 0.2f, 0.8f};

/** RMS value of an AC window: invalid when the bias is off (sensor missing), clipped or out of range. */
Measurement acRms(const uint16_t* samples, size_t count, const AcConfig& cfg);

/** 0.5-4.5 V pressure transducer (0-500 PSI) behind a divider into the ADC. */
struct PressureConfig {
  float divider_ratio;    // pin volts / sensor volts, e.g. 20k/(10k+20k) = 0.667
  float min_v, max_v;     // 0.5 V = 0 PSI, 4.5 V = full scale
  float full_scale_psi;   // 500
  float tolerance_v;      // accepted beyond the ends before it counts as a fault
};
constexpr PressureConfig kPressure500Psi{0.667f, 0.5f, 4.5f, 500.0f, 0.1f};

/** PSI from the pin voltage in mV; a broken wire (0 V) or a shorted supply (5 V) is invalid. */
Measurement pressurePsi(float pin_mv, const PressureConfig& cfg = kPressure500Psi);

}  // namespace hp
