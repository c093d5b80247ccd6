#include "commands.h"

#include <cctype>

#include "json.h"

namespace hp {

Command parseCommandText(const std::string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  std::string word;
  for (size_t i = begin; i < end; ++i) word += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  if (word == "STATUS") return Command::Status;
  if (word == "RESET") return Command::Reset;
  return Command::None;
}

Command parseCommandPayload(const char* payload, size_t length) {
  JsonField fields[4];
  size_t count = 0;
  if (parseFlatObject(payload, length, fields, 4, &count)) {
    const std::string* cmd = findString(fields, count, "cmd");
    return cmd ? parseCommandText(*cmd) : Command::None;
  }
  return parseCommandText(std::string(payload, length));
}

std::string normalisePhone(const std::string& number) {
  std::string out;
  for (char c : number) {
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '+' && out.empty())) out += c;
  }
  return out;
}

bool isE164(const std::string& number) {
  if (number.size() < 9 || number.size() > 16 || number[0] != '+' || number[1] == '0') return false;
  for (size_t i = 1; i < number.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(number[i]))) return false;
  return true;
}

std::vector<std::string> parseNumberList(const std::string& list) {
  std::vector<std::string> numbers;
  std::string current;
  for (size_t i = 0; i <= list.size(); ++i) {
    if (i < list.size() && list[i] != ',' && list[i] != ';') {
      current += list[i];
      continue;
    }
    const std::string number = normalisePhone(current);
    if (!number.empty()) numbers.push_back(number);
    current.clear();
  }
  return numbers;
}

bool isAdmin(const std::string& sender, const std::vector<std::string>& admins) {
  const std::string s = normalisePhone(sender);
  if (s.empty()) return false;
  for (const auto& admin : admins)
    if (!admin.empty() && admin == s) return true;
  return false;
}

std::string toGsmText(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x80) {
      // One '?' per UTF-8 sequence, not per byte.
      size_t n = 1;
      while (i + n < utf8.size() && (static_cast<unsigned char>(utf8[i + n]) & 0xC0) == 0x80 && n < 4) ++n;
      out += '?';
      i += n;
      continue;
    }
    // ` and the C0 controls have no GSM-7 default-alphabet code; \n and \r do.
    if (c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7F && c != '`')) out += static_cast<char>(c);
    else out += '?';
    ++i;
  }
  return out;
}

SmsSendRequest parseSmsSendRequest(const char* payload, size_t length) {
  JsonField fields[8];
  size_t count = 0;
  if (!parseFlatObject(payload, length, fields, 8, &count)) return {false, "", "", "", "invalid JSON"};
  const std::string* id = findString(fields, count, "id");
  const std::string* to = findString(fields, count, "to");
  const std::string* text = findString(fields, count, "text");
  SmsSendRequest request{false, id ? *id : "", "", "", ""};
  if (!to || !isE164(normalisePhone(*to))) {
    request.error = "invalid recipient";
    return request;
  }
  if (!text || text->empty()) {
    request.error = "empty text";
    return request;
  }
  request.to = normalisePhone(*to);
  request.text = toGsmText(*text);
  // GSM-7 counts ^{}\[~]| twice (escape + code); one SMS holds 160 septets.
  size_t septets = 0;
  for (char c : request.text) septets += std::string("^{}\\[~]|").find(c) == std::string::npos ? 1 : 2;
  if (septets > kSmsMaxChars) {
    request.error = "text longer than 160 characters";
    return request;
  }
  request.ok = true;
  return request;
}

size_t buildSmsSent(char* buffer, size_t capacity, const std::string& id, bool ok, int reference,
                    const std::string& error) {
  JsonWriter out(buffer, capacity);
  out.beginObject();
  out.key("id");
  out.string(id.c_str(), id.size());
  out.key("ok");
  out.boolean(ok);
  if (ok) {
    out.key("ref");
    out.integer(reference);
  } else {
    out.key("error");
    out.string(error.c_str(), error.size());
  }
  out.endObject();
  return out.overflowed() ? 0 : out.length();
}

size_t buildSmsReceived(char* buffer, size_t capacity, const std::string& from, const std::string& text,
                        int64_t timestamp, bool handled) {
  JsonWriter out(buffer, capacity);
  out.beginObject();
  out.key("from");
  out.string(from.c_str(), from.size());
  out.key("text");
  out.string(text.c_str(), text.size());
  if (timestamp != 0) {
    out.key("timestamp");
    out.integer(timestamp);
  }
  out.key("handled");
  out.boolean(handled);
  out.endObject();
  return out.overflowed() ? 0 : out.length();
}

}  // namespace hp
