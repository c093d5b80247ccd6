#include "sensors.h"

#include <cmath>

namespace hp {

Measurement ntcCelsius(uint16_t counts, const NtcConfig& cfg) {
  if (counts <= cfg.short_below || counts >= cfg.open_above || counts >= kAdcMax) return {0.0f, false};
  // Ratiometric divider: counts / max = R_ntc / (R_series + R_ntc).
  const float ratio = static_cast<float>(counts) / static_cast<float>(kAdcMax);
  const float ntc_ohms = cfg.series_ohms * ratio / (1.0f - ratio);
  const float inverse_kelvin = 1.0f / 298.15f + std::log(ntc_ohms / cfg.nominal_ohms) / cfg.beta;
  const float celsius = 1.0f / inverse_kelvin - 273.15f;
  if (!std::isfinite(celsius) || celsius < cfg.min_c || celsius > cfg.max_c) return {0.0f, false};
  return {celsius, true};
}

AcWindow analyseAcWindow(const uint16_t* samples, size_t count) {
  if (count == 0) return {0.0f, 0.0f, 1.0f};
  double sum = 0;
  size_t clipped = 0;
  for (size_t i = 0; i < count; ++i) {
    sum += samples[i];
    if (samples[i] == 0 || samples[i] >= kAdcMax) ++clipped;
  }
  const double mean = sum / static_cast<double>(count);
  double squares = 0;
  for (size_t i = 0; i < count; ++i) {
    const double ac = samples[i] - mean;
    squares += ac * ac;
  }
  return {static_cast<float>(mean), static_cast<float>(std::sqrt(squares / static_cast<double>(count))),
          static_cast<float>(clipped) / static_cast<float>(count)};
}

Measurement acRms(const uint16_t* samples, size_t count, const AcConfig& cfg) {
  const AcWindow w = analyseAcWindow(samples, count);
  const float bias = w.mean_counts / static_cast<float>(kAdcMax);
  if (count == 0 || bias < cfg.bias_min_fraction || bias > cfg.bias_max_fraction) return {0.0f, false};
  // A clipped wave under-reads: more than 1 % of samples at a rail is a fault, not a value.
  if (w.clipped_fraction > 0.01f) return {0.0f, false};
  const float value = w.rms_counts * cfg.mv_per_count * cfg.units_per_mv_rms;
  if (value > cfg.max_value) return {0.0f, false};
  return {value < cfg.noise_floor ? 0.0f : value, true};
}

Measurement pressurePsi(float pin_mv, const PressureConfig& cfg) {
  const float sensor_v = pin_mv / 1000.0f / cfg.divider_ratio;
  if (!std::isfinite(sensor_v) || sensor_v < cfg.min_v - cfg.tolerance_v || sensor_v > cfg.max_v + cfg.tolerance_v)
    return {0.0f, false};
  const float psi = (sensor_v - cfg.min_v) * cfg.full_scale_psi / (cfg.max_v - cfg.min_v);
  if (psi < 0.0f) return {0.0f, true};
  if (psi > cfg.full_scale_psi) return {cfg.full_scale_psi, true};
  return {psi, true};
}

}  // namespace hp
