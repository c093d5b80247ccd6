// Parsing of SIM800 text-mode AT responses (3GPP TS 27.005 / 27.007) that the glue captures as
// raw text: SMS listings, send results, signal quality, network clock.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hp {

struct StoredSms {
  int index;               // storage index for AT+CMGD
  std::string status;      // "REC UNREAD", "REC READ", ...
  std::string sender;      // "+4917...", a short code or an alphanumeric name
  int64_t timestamp_ms;    // from the service centre time stamp, 0 when absent / unparsable
  std::string text;        // body; lines joined with '\n'
};

/**
 * Messages of an AT+CMGL="ALL" response in text mode (AT+CMGF=1). Lines that are not part of a
 * message (echo, unsolicited result codes before the first header, the final OK) are ignored.
 */
std::vector<StoredSms> parseCmgl(const std::string& response);

struct SendResult {
  bool ok;
  int reference;      // message reference from "+CMGS: <mr>", -1 when failed
  std::string error;  // e.g. "+CMS ERROR: 500"; "no response" when nothing recognisable came
};
/** Result of AT+CMGS after the text and Ctrl-Z. */
SendResult parseCmgsResult(const std::string& response);

/** "+CSQ: <rssi>,<ber>" -> percent 0..100 (rssi 0..31 linear); 99 (unknown) or garbage -> -1. */
int csqToPercent(int rssi);
int parseCsqPercent(const std::string& response);

/**
 * "yy/MM/dd,hh:mm:ss+zz" (AT+CCLK?, zz in quarter hours) -> ms since the epoch (UTC).
 * Returns 0 when malformed or when the modem's clock was never set from the network
 * (it then counts from its default date, year < 2020).
 */
int64_t parseModemTime(const std::string& text);

/** Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t daysFromCivil(int year, unsigned month, unsigned day);

}  // namespace hp
