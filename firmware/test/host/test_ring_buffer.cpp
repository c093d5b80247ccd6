#include <doctest/doctest.h>

#include <cstring>

#include "fixtures.h"
#include "ring_buffer.h"

using namespace hp;

static Reading numbered(int n) {
  Reading r = test::seedReading();
  r.timestamp_ms = 1706600000000LL + n * 10000LL;
  return r;
}

TEST_CASE("ring: keeps order, drops the oldest when full and counts the drops") {
  static ReadingRing ring;
  ringReset(ring);
  for (int i = 0; i < 105; ++i) ringPush(ring, numbered(i));
  CHECK(ring.count == kBufferCapacity);
  CHECK(ring.dropped == 5);
  CHECK(ringAt(ring, 0).timestamp_ms == numbered(5).timestamp_ms);
  CHECK(ringNewest(ring)->timestamp_ms == numbered(104).timestamp_ms);
  ringDropOldest(ring, 30);
  CHECK(ring.count == 70);
  CHECK(ringAt(ring, 0).timestamp_ms == numbered(35).timestamp_ms);
  ringClearDropped(ring);
  CHECK(ring.dropped == 0);
  ringDropOldest(ring, 500);
  CHECK(ring.count == 0);
  CHECK(ringNewest(ring) == nullptr);
  CHECK(ringIntact(ring));
}

TEST_CASE("ring: survives a reset when intact, is emptied when the RTC memory is garbage") {
  static ReadingRing ring;
  ringReset(ring);
  for (int i = 0; i < 12; ++i) ringPush(ring, numbered(i));
  const uint32_t boot = ring.boot;
  // Watchdog reset: RTC_NOINIT memory keeps its content.
  CHECK(ringRecover(ring));
  CHECK(ring.count == 12);
  CHECK(ring.boot == boot + 1);
  CHECK(ringIntact(ring));

  // One flipped bit (e.g. a brown-out mid-write) is caught by the CRC.
  reinterpret_cast<uint8_t*>(&ring.items[3])[5] ^= 0x10;
  CHECK_FALSE(ringIntact(ring));
  CHECK_FALSE(ringRecover(ring));
  CHECK(ring.count == 0);

  // Power-on: random content.
  std::memset(&ring, 0xA5, sizeof ring);
  CHECK_FALSE(ringRecover(ring));
  CHECK(ring.count == 0);
  CHECK(ring.dropped == 0);
  CHECK(ringIntact(ring));

  // A matching CRC over out-of-range indices is still refused.
  ringReset(ring);
  ring.count = 101;
  ring.crc = crc32(&ring, offsetof(ReadingRing, crc));
  CHECK_FALSE(ringIntact(ring));
}

TEST_CASE("crc32: the standard check value") { CHECK(crc32("123456789", 9) == 0xCBF43926u); }
