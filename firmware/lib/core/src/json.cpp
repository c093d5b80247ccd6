#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace hp {

JsonWriter::JsonWriter(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {
  if (capacity_ > 0) buffer_[0] = '\0';
}

void JsonWriter::put(char c) { put(&c, 1); }

void JsonWriter::put(const char* s, size_t n) {
  // Keep room for the terminating NUL.
  if (overflowed_ || capacity_ == 0 || length_ + n >= capacity_) {
    overflowed_ = true;
    return;
  }
  std::memcpy(buffer_ + length_, s, n);
  length_ += n;
  buffer_[length_] = '\0';
}

void JsonWriter::truncate(size_t length) {
  if (length > length_) return;
  length_ = length;
  if (capacity_ > 0) buffer_[length_] = '\0';
  overflowed_ = false;
}

void JsonWriter::separator() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (needs_comma_[depth_]) put(',');
  needs_comma_[depth_] = true;
}

void JsonWriter::beginObject() {
  separator();
  put('{');
  if (depth_ + 1 < kMaxDepth) ++depth_;
  needs_comma_[depth_] = false;
}

void JsonWriter::close(char bracket) {
  if (depth_ > 0) --depth_;
  put(bracket);
}

void JsonWriter::endObject() { close('}'); }

void JsonWriter::beginArray() {
  separator();
  put('[');
  if (depth_ + 1 < kMaxDepth) ++depth_;
  needs_comma_[depth_] = false;
}

void JsonWriter::endArray() { close(']'); }

void JsonWriter::key(const char* name) {
  separator();
  quoted(name, std::strlen(name));
  put(':');
  after_key_ = true;
}

void JsonWriter::string(const char* value) { string(value, std::strlen(value)); }

// Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid.
static size_t utf8SequenceLength(const unsigned char* s, size_t remaining) {
  const unsigned char c = s[0];
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; }
  else return 0;
  if (n > remaining) return 0;
  uint32_t cp = c & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void JsonWriter::string(const char* value, size_t length) {
  separator();
  quoted(value, length);
}

void JsonWriter::quoted(const char* value, size_t length) {
  put('"');
  const unsigned char* s = reinterpret_cast<const unsigned char*>(value);
  size_t i = 0;
  while (i < length) {
    const unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      const char escaped[2] = {'\\', static_cast<char>(c)};
      put(escaped, 2);
      ++i;
    } else if (c == '\n') { put("\\n", 2); ++i; }
    else if (c == '\r') { put("\\r", 2); ++i; }
    else if (c == '\t') { put("\\t", 2); ++i; }
    else if (c < 0x20 || c == 0x7F) {
      char escaped[7];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      put(escaped, 6);
      ++i;
    } else {
      const size_t n = utf8SequenceLength(s + i, length - i);
      if (n == 0) {
        put("\\ufffd", 6);
        ++i;
      } else {
        put(value + i, n);
        i += n;
      }
    }
  }
  put('"');
}

void JsonWriter::number(double value, int decimals) {
  if (!std::isfinite(value)) {
    null();
    return;
  }
  separator();
  char text[40];
  int n = std::snprintf(text, sizeof text, "%.*f", decimals, value);
  if (n <= 0 || n >= static_cast<int>(sizeof text)) {
    put("null", 4);
    return;
  }
  // "-0.00" -> "0.00": a rounded-away sign is noise.
  if (text[0] == '-' && std::strspn(text + 1, "0.") == static_cast<size_t>(n - 1)) {
    std::memmove(text, text + 1, static_cast<size_t>(n));
    --n;
  }
  // Trim trailing zeros but keep one decimal: 25.00 -> 25.0, 1959.25 stays.
  if (std::strchr(text, '.') != nullptr)
    while (text[n - 1] == '0' && text[n - 2] != '.') --n;
  put(text, static_cast<size_t>(n));
}

void JsonWriter::integer(int64_t value) {
  separator();
  char text[24];
  const int n = std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value));
  put(text, static_cast<size_t>(n));
}

void JsonWriter::boolean(bool value) {
  separator();
  if (value) put("true", 4);
  else put("false", 5);
}

void JsonWriter::null() {
  separator();
  put("null", 4);
}

void JsonWriter::raw(const char* json, size_t length) {
  separator();
  put(json, length);
}

// ---- reading ---------------------------------------------------------------------------------

namespace {

struct Cursor {
  const char* p;
  const char* end;
  void skipSpace() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }
  bool eat(char c) {
    skipSpace();
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
};

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) out += static_cast<char>(cp);
  else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool readHex4(Cursor& c, uint32_t& out) {
  if (c.end - c.p < 4) return false;
  out = 0;
  for (int i = 0; i < 4; ++i) {
    const char h = *c.p++;
    out <<= 4;
    if (h >= '0' && h <= '9') out |= static_cast<uint32_t>(h - '0');
    else if (h >= 'a' && h <= 'f') out |= static_cast<uint32_t>(h - 'a' + 10);
    else if (h >= 'A' && h <= 'F') out |= static_cast<uint32_t>(h - 'A' + 10);
    else return false;
  }
  return true;
}

bool readString(Cursor& c, std::string& out) {
  if (!c.eat('"')) return false;
  out.clear();
  while (c.p < c.end) {
    const char ch = *c.p++;
    if (ch == '"') return true;
    if (static_cast<unsigned char>(ch) < 0x20) return false;
    if (ch != '\\') {
      out += ch;
      continue;
    }
    if (c.p >= c.end) return false;
    const char esc = *c.p++;
    switch (esc) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t cp;
        if (!readHex4(c, cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low;
          if (c.end - c.p < 6 || c.p[0] != '\\' || c.p[1] != 'u') return false;
          c.p += 2;
          if (!readHex4(c, low) || low < 0xDC00 || low > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        appendUtf8(out, cp);
        break;
      }
      default: return false;
    }
  }
  return false;
}

bool skipValue(Cursor& c, int depth);

bool skipContainer(Cursor& c, char close, bool is_object, int depth) {
  if (depth > 16) return false;
  if (c.eat(close)) return true;
  do {
    if (is_object) {
      std::string ignored;
      if (!readString(c, ignored) || !c.eat(':')) return false;
    }
    if (!skipValue(c, depth + 1)) return false;
  } while (c.eat(','));
  return c.eat(close);
}

// Scalars: returns their literal text in `literal`.
bool readScalar(Cursor& c, std::string& literal) {
  c.skipSpace();
  const char* start = c.p;
  while (c.p < c.end && *c.p != ',' && *c.p != '}' && *c.p != ']' && *c.p != ' ' && *c.p != '\n' &&
         *c.p != '\r' && *c.p != '\t')
    ++c.p;
  literal.assign(start, static_cast<size_t>(c.p - start));
  if (literal == "true" || literal == "false" || literal == "null") return true;
  if (literal.empty()) return false;
  // JSON number grammar, loosely: sign, digits, fraction, exponent.
  for (char ch : literal)
    if (!((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E')) return false;
  return true;
}

bool skipValue(Cursor& c, int depth) {
  c.skipSpace();
  if (c.p >= c.end) return false;
  if (*c.p == '{') return ++c.p, skipContainer(c, '}', true, depth);
  if (*c.p == '[') return ++c.p, skipContainer(c, ']', false, depth);
  std::string ignored;
  if (*c.p == '"') return readString(c, ignored);
  return readScalar(c, ignored);
}

}  // namespace

bool parseFlatObject(const char* json, size_t length, JsonField* fields, size_t max_fields, size_t* count) {
  Cursor c{json, json + length};
  *count = 0;
  if (!c.eat('{')) return false;
  if (!c.eat('}')) {
    do {
      std::string key;
      if (!readString(c, key) || !c.eat(':')) return false;
      c.skipSpace();
      if (c.p >= c.end) return false;
      if (*c.p == '"') {
        std::string value;
        if (!readString(c, value)) return false;
        if (*count < max_fields) fields[(*count)++] = {key, value, true};
      } else if (*c.p == '{' || *c.p == '[') {
        if (!skipValue(c, 0)) return false;
      } else {
        std::string literal;
        if (!readScalar(c, literal)) return false;
        if (literal != "null" && *count < max_fields) fields[(*count)++] = {key, literal, false};
      }
    } while (c.eat(','));
    if (!c.eat('}')) return false;
  }
  c.skipSpace();
  return c.p == c.end;
}

const std::string* findString(const JsonField* fields, size_t count, const char* key) {
  for (size_t i = 0; i < count; ++i)
    if (fields[i].is_string && fields[i].key == key) return &fields[i].value;
  return nullptr;
}

}  // namespace hp
