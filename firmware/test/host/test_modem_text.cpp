// Transcripts modelled on real SIM800 logs from public GitHub issues: esphome#1015 for the CMGL
// line, gammu#242 for "+CMGS: 73", TinyGSM#654 for "+CSQ: 25,5", TinyGSM#243 for 500 (the
// repository keeps some of them in test/fixtures/sms_modem, see SOURCES.md there).
#include <doctest/doctest.h>

#include "modem_text.h"

using namespace hp;

TEST_CASE("CMGL: several messages, multi-line body, short-code sender, echo and final OK") {
  const std::string response =
      "AT+CMGL=\"ALL\"\r\n"
      "+CMGL: 41,\"REC READ\",\"1064899010367\",\"\",\"18/03/26,21:37:27+32\"\r\n"
      "962DC79D162803011\r\n"
      "+CMGL: 2,\"REC UNREAD\",\"+919876543210\",\"\",\"24/01/30,13:03:20+22\"\r\n"
      "status\r\n"
      "+CMGL: 3,\"REC UNREAD\",\"AIRTEL\",,\"24/01/30,13:05:00+22\"\r\n"
      "Line one\r\nLine two, \"quoted\"\r\n"
      "\r\n"
      "OK\r\n";
  const auto messages = parseCmgl(response);
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].index == 41);
  CHECK(messages[0].status == "REC READ");
  CHECK(messages[0].sender == "1064899010367");
  CHECK(messages[0].text == "962DC79D162803011");
  CHECK(messages[0].timestamp_ms == 0);  // 2018: before the plausible range
  CHECK(messages[1].index == 2);
  CHECK(messages[1].sender == "+919876543210");
  CHECK(messages[1].text == "status");
  // 13:03:20 at +22 quarter hours (UTC+5:30) = 07:33:20 UTC
  CHECK(messages[1].timestamp_ms == 1706599999000LL + 1000);
  CHECK(messages[2].sender == "AIRTEL");
  CHECK(messages[2].text == "Line one\nLine two, \"quoted\"");
}

TEST_CASE("CMGL: empty listing, URCs before the first header, a body that reads OK") {
  CHECK(parseCmgl("OK\r\n").empty());
  CHECK(parseCmgl("\r\n+CMTI: \"SM\",4\r\n\r\nOK\r\n").empty());
  const auto m = parseCmgl("+CMGL: 1,\"REC UNREAD\",\"+4917012345678\",\"\",\"24/01/30,13:03:20+04\"\r\nOK\r\n");
  REQUIRE(m.size() == 1);  // the listing was cut at the body "OK": the body is kept
  CHECK(m[0].text == "OK");
  CHECK(parseCmgl("+CMGL: x,\"REC\"\r\nbody\r\nOK\r\n").empty());
}

TEST_CASE("CMGS result: reference, CMS errors, nothing") {
  SendResult ok = parseCmgsResult("\r\n+CMGS: 73\r\n\r\nOK\r\n");
  CHECK(ok.ok);
  CHECK(ok.reference == 73);
  // The final OK can come late (SIM900 quirk): +CMGS alone means sent.
  CHECK(parseCmgsResult("> hello\x1a\r\n+CMGS: 12\r\n").ok);
  SendResult failed = parseCmgsResult("\r\n+CMS ERROR: 500\r\n");
  CHECK_FALSE(failed.ok);
  CHECK(failed.error == "+CMS ERROR: 500");
  CHECK(parseCmgsResult("+CMS ERROR: invalid input value \r\n").error == "+CMS ERROR: invalid input value");
  CHECK(parseCmgsResult("ERROR\r\n").error == "ERROR");
  CHECK(parseCmgsResult("").error == "no response");
}

TEST_CASE("CSQ -> signal percent") {
  CHECK(parseCsqPercent("\r\n+CSQ: 25,5\r\n\r\nOK\r\n") == 81);
  CHECK(parseCsqPercent("+CSQ: 31,0\r\nOK\r\n") == 100);
  CHECK(parseCsqPercent("+CSQ: 0,0\r\nOK\r\n") == 0);
  CHECK(parseCsqPercent("+CSQ: 99,99\r\nOK\r\n") == -1);
  CHECK(parseCsqPercent("ERROR\r\n") == -1);
  CHECK(csqToPercent(20) == 65);
}

TEST_CASE("modem clock: local time with quarter-hour zone -> UTC ms; the unset default is 0") {
  CHECK(parseModemTime("24/01/30,07:33:20+00") == 1706600000000LL);
  CHECK(parseModemTime("24/01/30,13:03:20+22") == 1706600000000LL);
  CHECK(parseModemTime("24/01/30,02:33:20-20") == 1706600000000LL);
  CHECK(parseModemTime("20/12/09,12:57:04+12") == 1607507824000LL);  // *PSUTTZ of TinyGSM#471
  CHECK(parseModemTime("04/01/01,00:01:12+00") == 0);  // SIM800 default before network time
  CHECK(parseModemTime("24/13/30,07:33:20+00") == 0);
  CHECK(parseModemTime("garbage") == 0);
  CHECK(parseModemTime("") == 0);
  CHECK(daysFromCivil(1970, 1, 1) == 0);
  CHECK(daysFromCivil(2000, 3, 1) == 11017);
}
