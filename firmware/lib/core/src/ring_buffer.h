// Circular buffer of readings (seed: 100 readings, oldest dropped when full). A POD with a magic
// and a CRC so that it can live in RTC_NOINIT memory: after a watchdog or software reset the
// glue keeps it when intact(); after power-on the memory is random and intact() is false.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "reading.h"

namespace hp {

constexpr uint16_t kBufferCapacity = 100;
constexpr uint32_t kRingMagic = 0x48504231u;  // "HPB1": bump when the layout changes

struct ReadingRing {
  uint32_t magic;
  uint16_t head;   // index of the oldest reading
  uint16_t count;
  /** Readings dropped since the last successful publish (reported as `overflow`). */
  uint32_t dropped;
  /** Incremented on every boot that keeps the buffer, see Reading::boot. */
  uint32_t boot;
  Reading items[kBufferCapacity];
  uint32_t crc;
};
static_assert(std::is_trivially_copyable<ReadingRing>::value && std::is_standard_layout<ReadingRing>::value,
              "ReadingRing must stay a POD: it lives in RTC memory");
// ESP32 RTC slow memory is 8 KB in total; leave room for the rest of the RTC data.
static_assert(sizeof(ReadingRing) <= 6144, "ReadingRing must fit in RTC slow memory");

uint32_t crc32(const void* data, size_t length);

/** Empties the ring and seals it (valid magic and CRC). */
void ringReset(ReadingRing& ring);
/** True when magic and CRC match and the indices are in range: the content can be trusted. */
bool ringIntact(const ReadingRing& ring);
/** Keeps the content after a reset when intact, else empties it; counts the boot. Returns whether kept. */
bool ringRecover(ReadingRing& ring);
/** Appends; when full, drops the oldest and counts it in `dropped`. */
void ringPush(ReadingRing& ring, const Reading& reading);
/** The i-th oldest reading (0 = oldest); i must be < count. */
const Reading& ringAt(const ReadingRing& ring, uint16_t i);
/** The newest reading, or nullptr when empty. */
const Reading* ringNewest(const ReadingRing& ring);
/** Removes the n oldest readings (after they were published). */
void ringDropOldest(ReadingRing& ring, uint16_t n);
/** Call after a complete flush: the drops were reported. */
void ringClearDropped(ReadingRing& ring);

}  // namespace hp
