// Commands (SMS and MQTT `cmd`) and the JSON of the device-modem SMS topics that
// sms-gateway-bridge defines: heatpump/{id}/sms/send, /sms/sent, /sms/received.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hp {

enum class Command { None, Status, Reset };

/** "STATUS" / "RESET", case-insensitive, surrounding whitespace ignored; anything else None. */
Command parseCommandText(const std::string& text);
/** MQTT cmd payload {"cmd":"STATUS"} (or the bare word); None when malformed. */
Command parseCommandPayload(const char* payload, size_t length);

/** A phone number reduced to what identifies it: '+' and digits, without spaces, dashes, dots. */
std::string normalisePhone(const std::string& number);
/** "+E164" with 8 to 15 digits. */
bool isE164(const std::string& number);
/** Splits the comma-separated admin list of the configuration. */
std::vector<std::string> parseNumberList(const std::string& list);
/** Only configured numbers may command the device (exact match after normalisePhone). */
bool isAdmin(const std::string& sender, const std::vector<std::string>& admins);

constexpr size_t kSmsMaxChars = 160;
/**
 * Text the modem can send in one GSM-7 text-mode SMS: printable ASCII kept (except the few
 * characters outside the GSM default alphabet), line breaks kept, every other character
 * (one per UTF-8 sequence) replaced by '?'.
 */
std::string toGsmText(const std::string& utf8);

struct SmsSendRequest {
  bool ok;
  std::string id;
  std::string to;
  std::string text;   // already converted with toGsmText
  std::string error;  // why the request is refused when !ok
};
/** heatpump/{id}/sms/send: {"id":"...","to":"+E164","text":"..."}. */
SmsSendRequest parseSmsSendRequest(const char* payload, size_t length);

/** heatpump/{id}/sms/sent: {"id":"...","ok":true,"ref":12} or {"id":"...","ok":false,"error":"..."}. */
size_t buildSmsSent(char* buffer, size_t capacity, const std::string& id, bool ok, int reference,
                    const std::string& error);

/** heatpump/{id}/sms/received: {"from":"...","text":"...","timestamp":<ms, omitted when 0>,"handled":bool}. */
size_t buildSmsReceived(char* buffer, size_t capacity, const std::string& from, const std::string& text,
                        int64_t timestamp, bool handled);

}  // namespace hp
