#include "modem_text.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hp {

namespace {

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else if (c != '\r') {
      line += c;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

bool startsWith(const std::string& s, const char* prefix) { return s.compare(0, std::strlen(prefix), prefix) == 0; }

// Splits the fields of a result line: commas outside double quotes; quotes removed.
std::vector<std::string> splitFields(const std::string& s) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (char c : s) {
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) fields.emplace_back();
    else fields.back() += c;
  }
  for (auto& f : fields) {
    while (!f.empty() && f.front() == ' ') f.erase(f.begin());
    while (!f.empty() && f.back() == ' ') f.pop_back();
  }
  return fields;
}

bool isFinalResult(const std::string& line) {
  return line == "OK" || line == "ERROR" || startsWith(line, "+CMS ERROR:") || startsWith(line, "+CME ERROR:");
}

}  // namespace

int64_t daysFromCivil(int year, unsigned month, unsigned day) {
  // Howard Hinnant's days_from_civil.
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t parseModemTime(const std::string& text) {
  int yy, mo, dd, hh, mi, ss, consumed = 0;
  if (std::sscanf(text.c_str(), "%2d/%2d/%2d,%2d:%2d:%2d%n", &yy, &mo, &dd, &hh, &mi, &ss, &consumed) != 6)
    return 0;
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60) return 0;
  const int year = 2000 + yy;
  if (year < 2020) return 0;
  int quarters = 0;
  const char* zone = text.c_str() + consumed;
  if (*zone == '+' || *zone == '-') {
    quarters = std::atoi(zone + 1);
    if (quarters > 56) return 0;
    if (*zone == '-') quarters = -quarters;
  }
  const int64_t local_s = daysFromCivil(year, static_cast<unsigned>(mo), static_cast<unsigned>(dd)) * 86400 +
                          hh * 3600 + mi * 60 + ss;
  // The modem shows local time with the zone offset in quarter hours: UTC = local - offset.
  return (local_s - static_cast<int64_t>(quarters) * 15 * 60) * 1000;
}

std::vector<StoredSms> parseCmgl(const std::string& response) {
  std::vector<StoredSms> messages;
  const std::vector<std::string> lines = splitLines(response);
  // The last "OK" ends the listing. Every header is followed by a body line, so an "OK" right
  // after a header is the body (the capture stopped at it) and the real final OK is still unread.
  size_t end = lines.size();
  while (end > 0 && lines[end - 1].empty()) --end;
  if (end > 0 && isFinalResult(lines[end - 1]) && !(end >= 2 && startsWith(lines[end - 2], "+CMGL:"))) --end;
  StoredSms* current = nullptr;
  bool first_body_line = false;
  for (size_t i = 0; i < end; ++i) {
    const std::string& line = lines[i];
    if (startsWith(line, "+CMGL:")) {
      // +CMGL: <index>,<stat>,<oa>,[<alpha>],[<scts>]
      const std::vector<std::string> f = splitFields(line.substr(6));
      if (f.size() < 3) {
        current = nullptr;
        continue;
      }
      char* after = nullptr;
      const long index = std::strtol(f[0].c_str(), &after, 10);
      if (after == f[0].c_str() || index < 0) {
        current = nullptr;
        continue;
      }
      messages.push_back({static_cast<int>(index), f[1], f[2], f.size() > 4 ? parseModemTime(f[4]) : 0, ""});
      current = &messages.back();
      first_body_line = true;
      continue;
    }
    if (current == nullptr) continue;  // echo or URCs before the first header
    if (!first_body_line) current->text += '\n';
    current->text += line;
    first_body_line = false;
  }
  // Modems end every body with CR LF and put an empty line before OK: drop that padding.
  for (auto& m : messages)
    while (!m.text.empty() && m.text.back() == '\n') m.text.pop_back();
  return messages;
}

SendResult parseCmgsResult(const std::string& response) {
  int reference = -1;
  for (const std::string& line : splitLines(response)) {
    if (startsWith(line, "+CMGS:")) {
      char* after = nullptr;
      const long mr = std::strtol(line.c_str() + 6, &after, 10);
      if (after != line.c_str() + 6) reference = static_cast<int>(mr);
    } else if (startsWith(line, "+CMS ERROR:") || startsWith(line, "+CME ERROR:") || line == "ERROR") {
      std::string error = line;
      while (!error.empty() && error.back() == ' ') error.pop_back();
      return {false, -1, error};
    } else if (line == "OK" && reference >= 0) {
      return {true, reference, ""};
    }
  }
  if (reference >= 0) return {true, reference, ""};
  return {false, -1, "no response"};
}

int csqToPercent(int rssi) {
  if (rssi < 0 || rssi > 31) return -1;
  return (rssi * 100 + 15) / 31;
}

int parseCsqPercent(const std::string& response) {
  for (const std::string& line : splitLines(response)) {
    int rssi, ber;
    if (std::sscanf(line.c_str(), "+CSQ: %d,%d", &rssi, &ber) == 2) return csqToPercent(rssi);
  }
  return -1;
}

}  // namespace hp
