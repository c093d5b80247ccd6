// MQTT payloads of the device contract (docs/CONTRACTS.md): a reading, a batch of
// readings, a device-raised alert. Built into a caller's fixed buffer.
#pragma once
#include <cstddef>
#include <cstdint>

#include "alerts.h"
#include "json.h"
#include "reading.h"
#include "ring_buffer.h"

namespace hp {

struct DeviceInfo {
  const char* device_id;
  const char* firmware_version;
};

/** Network time learnt from the modem, tied to millis() of the boot it was learnt in. */
struct ClockSync {
  bool known;
  int64_t epoch_ms;    // network time at the sync
  uint32_t uptime_ms;  // millis() at the sync
  uint32_t boot;       // ReadingRing::boot at the sync
};

/** Current time in ms since the epoch, 0 when the clock is not known. */
int64_t clockNow(const ClockSync& clock, uint32_t uptime_ms);

/**
 * Timestamp to publish for a reading: its own when it had one, else back-dated from a clock
 * learnt later in the same boot, else 0 ("unknown": the server uses its receive time).
 */
int64_t resolveTimestamp(const Reading& reading, const ClockSync& clock);

/** Appends one reading object (with `overflow` and `signal`). Invalid values are null. */
void writeReading(JsonWriter& out, const Reading& reading, const DeviceInfo& device, int64_t timestamp,
                  uint32_t overflow);

/** A single reading as a complete payload; returns its length, 0 when it does not fit. */
size_t buildReadingPayload(char* buffer, size_t capacity, const Reading& reading, const DeviceInfo& device,
                           const ClockSync& clock, uint32_t overflow);

/** Bounds of one batched publish: both must hold. */
constexpr uint16_t kMaxBatchReadings = 10;
constexpr size_t kMaxBatchBytes = 6144;

struct Batch {
  size_t length;   // bytes of JSON in the buffer, 0 when nothing fit
  uint16_t count;  // readings in the array, taken from the oldest end of the ring
};

/**
 * A JSON array of the oldest readings of the ring, at most max_readings and as many as fit in
 * `capacity` bytes. The first (oldest) reading carries `overflow` = ring.dropped, i.e. how many
 * readings are missing just before it; the others carry 0. After publishing, the caller drops
 * `count` readings with ringDropOldest() and calls ringClearDropped().
 */
Batch buildBatch(char* buffer, size_t capacity, const ReadingRing& ring, const DeviceInfo& device,
                 const ClockSync& clock, uint16_t max_readings = kMaxBatchReadings);

/** heatpump/{id}/alerts payload. */
size_t buildAlertPayload(char* buffer, size_t capacity, const Alert& alert, const DeviceInfo& device,
                         int64_t timestamp);

}  // namespace hp
