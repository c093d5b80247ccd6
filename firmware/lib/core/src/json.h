// Minimal JSON writing into a fixed buffer (no heap on the device) and reading of flat objects.
// Output is always valid JSON: non-finite numbers become null, strings are escaped and invalid
// UTF-8 (e.g. Latin-1 bytes from the modem) is replaced by U+FFFD.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace hp {

class JsonWriter {
 public:
  JsonWriter(char* buffer, size_t capacity);
  void beginObject();
  void endObject();
  void beginArray();
  void endArray();
  void key(const char* name);
  void string(const char* value);
  void string(const char* value, size_t length);
  /** Up to `decimals` decimals, trailing zeros trimmed (one kept: 25.0); NaN/inf -> null. */
  void number(double value, int decimals = 2);
  void integer(int64_t value);
  void boolean(bool value);
  void null();
  /** Raw, already valid JSON (e.g. a reading built elsewhere). */
  void raw(const char* json, size_t length);

  bool overflowed() const { return overflowed_; }
  size_t length() const { return length_; }
  const char* c_str() const { return buffer_; }
  /** Rolls back to an earlier length(): drops what did not fit. */
  void truncate(size_t length);

 private:
  void separator();
  void close(char bracket);
  void quoted(const char* value, size_t length);
  void put(char c);
  void put(const char* s, size_t n);
  char* buffer_;
  size_t capacity_;
  size_t length_ = 0;
  bool overflowed_ = false;
  // Per nesting level: does the next value need a comma? Depth is small in our payloads.
  static constexpr int kMaxDepth = 8;
  bool needs_comma_[kMaxDepth] = {};
  int depth_ = 0;
  bool after_key_ = false;
};

/** Fields of a flat JSON object read as strings; nested values are skipped. */
struct JsonField {
  std::string key;
  std::string value;  // decoded string, or the literal text of a number / true / false
  bool is_string;
};

/**
 * Parses one JSON object. Returns false on malformed input. Fields that are not plain strings,
 * numbers or literals (objects, arrays, null) are skipped. Input length is bounded by the caller.
 */
bool parseFlatObject(const char* json, size_t length, JsonField* fields, size_t max_fields, size_t* count);

/** The string value of `key`, or nullptr when missing or not a string. */
const std::string* findString(const JsonField* fields, size_t count, const char* key);

}  // namespace hp
