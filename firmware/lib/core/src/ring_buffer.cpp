#include "ring_buffer.h"

#include <cstddef>
#include <cstring>

namespace hp {

uint32_t crc32(const void* data, size_t length) {
  // Bitwise CRC-32 (IEEE): 6 KB every 10 s is nothing, and no table to keep in flash.
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < length; ++i) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static uint32_t contentCrc(const ReadingRing& ring) { return crc32(&ring, offsetof(ReadingRing, crc)); }
static void seal(ReadingRing& ring) { ring.crc = contentCrc(ring); }

void ringReset(ReadingRing& ring) {
  std::memset(&ring, 0, sizeof ring);
  ring.magic = kRingMagic;
  seal(ring);
}

bool ringIntact(const ReadingRing& ring) {
  return ring.magic == kRingMagic && ring.head < kBufferCapacity && ring.count <= kBufferCapacity &&
         ring.crc == contentCrc(ring);
}

bool ringRecover(ReadingRing& ring) {
  const bool kept = ringIntact(ring);
  if (!kept) ringReset(ring);
  ring.boot += 1;
  seal(ring);
  return kept;
}

void ringPush(ReadingRing& ring, const Reading& reading) {
  if (ring.count == kBufferCapacity) {
    ring.head = static_cast<uint16_t>((ring.head + 1) % kBufferCapacity);
    ring.count -= 1;
    ring.dropped += 1;
  }
  ring.items[(ring.head + ring.count) % kBufferCapacity] = reading;
  ring.count += 1;
  seal(ring);
}

const Reading& ringAt(const ReadingRing& ring, uint16_t i) { return ring.items[(ring.head + i) % kBufferCapacity]; }

const Reading* ringNewest(const ReadingRing& ring) {
  return ring.count == 0 ? nullptr : &ringAt(ring, static_cast<uint16_t>(ring.count - 1));
}

void ringDropOldest(ReadingRing& ring, uint16_t n) {
  if (n > ring.count) n = ring.count;
  ring.head = static_cast<uint16_t>((ring.head + n) % kBufferCapacity);
  ring.count = static_cast<uint16_t>(ring.count - n);
  seal(ring);
}

void ringClearDropped(ReadingRing& ring) {
  ring.dropped = 0;
  seal(ring);
}

}  // namespace hp
