#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "commands.h"

using namespace hp;

static Command command(const char* json) { return parseCommandPayload(json, std::strlen(json)); }

TEST_CASE("SMS command words") {
  CHECK(parseCommandText("STATUS") == Command::Status);
  CHECK(parseCommandText(" status\r\n") == Command::Status);
  CHECK(parseCommandText("Reset") == Command::Reset);
  CHECK(parseCommandText("STATUS please") == Command::None);
  CHECK(parseCommandText("") == Command::None);
}

TEST_CASE("MQTT cmd payloads") {
  CHECK(command("{\"cmd\":\"RESET\"}") == Command::Reset);
  CHECK(command("{\"cmd\":\"STATUS\",\"id\":\"x\"}") == Command::Status);
  CHECK(command("STATUS") == Command::Status);
  CHECK(command("{\"cmd\":\"REBOOT\"}") == Command::None);
  CHECK(command("{\"cmd\":1}") == Command::None);
  CHECK(command("{\"cmd\":") == Command::None);
}

TEST_CASE("admin numbers: configured list, exact match after normalising") {
  const auto admins = parseNumberList("+91 98765 43210, +49-170-1234567;;");
  REQUIRE(admins.size() == 2);
  CHECK(admins[0] == "+919876543210");
  CHECK(admins[1] == "+491701234567");
  CHECK(isAdmin("+919876543210", admins));
  CHECK(isAdmin("+49 170 1234567", admins));
  CHECK_FALSE(isAdmin("+919876543211", admins));
  CHECK_FALSE(isAdmin("9876543210", admins));  // national format is not the configured number
  CHECK_FALSE(isAdmin("AIRTEL", admins));
  CHECK_FALSE(isAdmin("", admins));
  CHECK_FALSE(isAdmin("+919876543210", {}));
  CHECK(parseNumberList("").empty());
}

TEST_CASE("E.164 check") {
  CHECK(isE164("+919876543210"));
  CHECK(isE164("+4915112345678"));
  CHECK_FALSE(isE164("919876543210"));
  CHECK_FALSE(isE164("+0123456789"));
  CHECK_FALSE(isE164("+1234567"));
  CHECK_FALSE(isE164("+1234567890123456"));
  CHECK_FALSE(isE164("+91987654321a"));
}

TEST_CASE("GSM text: ASCII kept, one '?' per other character") {
  CHECK(toGsmText("Temp 45C\nOK") == "Temp 45C\nOK");
  CHECK(toGsmText("45\xC2\xB0" "C \xF0\x9F\x94\xA5 `x`") == "45?C ? ?x?");
  CHECK(toGsmText("\x01tab\t") == "?tab?");
}

TEST_CASE("sms/send request") {
  const char* json = "{\"id\":\"m-1\",\"to\":\"+919876543210\",\"text\":\"Hello \\u00fc\"}";
  SmsSendRequest r = parseSmsSendRequest(json, std::strlen(json));
  CHECK(r.ok);
  CHECK(r.id == "m-1");
  CHECK(r.to == "+919876543210");
  CHECK(r.text == "Hello ?");

  struct Row { const char* json; const char* error; const char* id; };
  const std::string long_text = "{\"id\":\"L\",\"to\":\"+919876543210\",\"text\":\"" + std::string(161, 'a') + "\"}";
  const std::string escaped = "{\"id\":\"E\",\"to\":\"+919876543210\",\"text\":\"" + std::string(80, '[') + "\"}";
  const Row rows[] = {
      {"not json", "invalid JSON", ""},
      {"{\"id\":\"a\",\"text\":\"x\"}", "invalid recipient", "a"},
      {"{\"id\":\"b\",\"to\":\"12345\",\"text\":\"x\"}", "invalid recipient", "b"},
      {"{\"id\":\"c\",\"to\":\"+919876543210\",\"text\":\"\"}", "empty text", "c"},
      {long_text.c_str(), "text longer than 160 characters", "L"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.json);
    const SmsSendRequest bad = parseSmsSendRequest(row.json, std::strlen(row.json));
    CHECK_FALSE(bad.ok);
    CHECK(bad.error == row.error);
    CHECK(bad.id == row.id);
  }
  // 80 '[' take 160 septets (escape + code each): exactly one SMS.
  CHECK(parseSmsSendRequest(escaped.c_str(), escaped.size()).ok);
}

TEST_CASE("sms/sent and sms/received payloads") {
  char buf[256];
  CHECK(std::string(buf, buildSmsSent(buf, sizeof buf, "m-1", true, 12, "")) == "{\"id\":\"m-1\",\"ok\":true,\"ref\":12}");
  CHECK(std::string(buf, buildSmsSent(buf, sizeof buf, "m-2", false, -1, "+CMS ERROR: 500")) ==
        "{\"id\":\"m-2\",\"ok\":false,\"error\":\"+CMS ERROR: 500\"}");
  CHECK(std::string(buf, buildSmsReceived(buf, sizeof buf, "+919876543210", "STATUS", 1706600000000LL, true)) ==
        "{\"from\":\"+919876543210\",\"text\":\"STATUS\",\"timestamp\":1706600000000,\"handled\":true}");
  CHECK(std::string(buf, buildSmsReceived(buf, sizeof buf, "AIRTEL", "Cr\xE9" "dit\n5", 0, false)) ==
        "{\"from\":\"AIRTEL\",\"text\":\"Cr\\ufffddit\\n5\",\"handled\":false}");
  CHECK(buildSmsReceived(buf, 20, "AIRTEL", "long enough to overflow", 0, false) == 0);
}
