#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "json.h"

using namespace hp;

static std::string str(const char* s, size_t n) { return std::string(s, n); }

TEST_CASE("JsonWriter: numbers keep up to 2 decimals, non-finite values become null") {
  char buf[128];
  JsonWriter out(buf, sizeof buf);
  out.beginArray();
  out.number(45.2f);
  out.number(25.0);
  out.number(1959.25);
  out.number(-0.001);
  out.number(NAN);
  out.number(INFINITY);
  out.integer(1706600000000LL);
  out.boolean(false);
  out.null();
  out.endArray();
  CHECK(std::string(out.c_str()) == "[45.2,25.0,1959.25,0.0,null,null,1706600000000,false,null]");
}

TEST_CASE("JsonWriter: strings are escaped and invalid UTF-8 is replaced") {
  char buf[128];
  JsonWriter out(buf, sizeof buf);
  out.beginObject();
  out.key("t");
  // quote, backslash, CR LF, a control byte, valid UTF-8 (ü), a lone Latin-1 byte (0xE9 'é')
  out.string("a\"b\\c\r\n\x01 \xC3\xBC \xE9!");
  out.endObject();
  CHECK(std::string(out.c_str()) == "{\"t\":\"a\\\"b\\\\c\\r\\n\\u0001 \xC3\xBC \\ufffd!\"}");
}

TEST_CASE("JsonWriter: overflow is reported and never writes past the buffer") {
  char buf[16];
  buf[15] = 'X';
  JsonWriter out(buf, 15);
  out.beginObject();
  out.key("message");
  out.string("much too long for this buffer");
  out.endObject();
  CHECK(out.overflowed());
  CHECK(out.length() < 15);
  CHECK(buf[15] == 'X');
}

TEST_CASE("parseFlatObject: strings with escapes, numbers, literals; nested values skipped") {
  const std::string json =
      " {\"id\":\"a\\\"1\",\"to\":\"+4917\",\"text\":\"H\\u00e9 \\ud83d\\ude00\\n\",\"n\":12.5,"
      "\"meta\":{\"x\":[1,{\"y\":2}]},\"ok\":true,\"none\":null} ";
  JsonField fields[8];
  size_t count = 0;
  REQUIRE(parseFlatObject(json.data(), json.size(), fields, 8, &count));
  CHECK(count == 5);
  CHECK(*findString(fields, count, "id") == "a\"1");
  CHECK(*findString(fields, count, "text") == "H\xC3\xA9 \xF0\x9F\x98\x80\n");
  CHECK(findString(fields, count, "n") == nullptr);  // a number, not a string
  CHECK(fields[3].key == "n");
  CHECK(fields[3].value == "12.5");
  CHECK(findString(fields, count, "meta") == nullptr);
}

TEST_CASE("parseFlatObject: malformed input is refused") {
  const char* bad[] = {"", "[]", "{", "{\"a\":}", "{\"a\":\"x}", "{\"a\":1,}", "{\"a\":1} x", "{a:1}",
                       "{\"a\":\"\\ud800\"}", "{\"a\":\"tab\there\"}", "{\"a\":tru}"};
  for (const char* json : bad) {
    CAPTURE(json);
    JsonField fields[4];
    size_t count = 0;
    CHECK_FALSE(parseFlatObject(json, std::string(json).size(), fields, 4, &count));
  }
  JsonField fields[1];
  size_t count = 0;
  CHECK(parseFlatObject("{}", 2, fields, 1, &count));
  CHECK(count == 0);
  CHECK(str("{}", 2) == "{}");
}
