// Host stub of the Arduino-ESP32 API that src/main.cpp uses: declarations with trivial bodies,
// only so that `make check-glue` type-checks the glue. Nothing here runs on a device.
#pragma once
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#define HIGH 0x1
#define LOW 0x0
#define INPUT 0x01
#define OUTPUT 0x03
#define SERIAL_8N1 0x800001c
#define RTC_NOINIT_ATTR
#define F(s) (s)

typedef enum { ADC_0db, ADC_2_5db, ADC_6db, ADC_11db } adc_attenuation_t;

class String {
 public:
  String(const char* s = "") : s_(s ? s : "") {}
  String(const std::string& s) : s_(s) {}
  const char* c_str() const { return s_.c_str(); }
  unsigned int length() const { return static_cast<unsigned int>(s_.size()); }
  bool reserve(unsigned int n) { s_.reserve(n); return true; }
  String substring(unsigned int from, unsigned int to) const { return String(s_.substr(from, to - from)); }
  bool endsWith(const String& suffix) const {
    return s_.size() >= suffix.s_.size() && s_.compare(s_.size() - suffix.s_.size(), suffix.s_.size(), suffix.s_) == 0;
  }
  String& operator+=(const String& other) { s_ += other.s_; return *this; }
  String& operator+=(const char* other) { s_ += other; return *this; }
  String& operator+=(char c) { s_ += c; return *this; }
  friend String operator+(const String& a, const String& b) { return String(a.s_ + b.s_); }
  friend String operator+(const String& a, const char* b) { return String(a.s_ + b); }
  bool operator==(const String& other) const { return s_ == other.s_; }

 private:
  std::string s_;
};

class Print {
 public:
  virtual ~Print() = default;
  virtual size_t write(uint8_t) { return 1; }
  size_t print(const char*) { return 0; }
  size_t print(const String&) { return 0; }
  size_t println(const char* = "") { return 0; }
  size_t printf(const char* format, ...) __attribute__((format(printf, 2, 3))) { (void)format; return 0; }
};

class Stream : public Print {
 public:
  virtual int available() { return 0; }
  virtual int read() { return -1; }
  virtual void flush() {}
  String readStringUntil(char) { return String(); }
};

class HardwareSerial : public Stream {
 public:
  void begin(unsigned long, uint32_t = SERIAL_8N1, int8_t = -1, int8_t = -1) {}
};
extern HardwareSerial Serial;
extern HardwareSerial Serial2;

class Client : public Stream {};

struct EspClass {
  uint32_t getFreeHeap() { return 0; }
  [[noreturn]] void restart() { throw 0; }
};
extern EspClass ESP;

typedef enum { ESP_RST_UNKNOWN, ESP_RST_POWERON, ESP_RST_SW, ESP_RST_PANIC, ESP_RST_TASK_WDT } esp_reset_reason_t;
esp_reset_reason_t esp_reset_reason();

unsigned long millis();
void delay(uint32_t);
void delayMicroseconds(uint32_t);
void pinMode(uint8_t, uint8_t);
void digitalWrite(uint8_t, uint8_t);
int digitalRead(uint8_t);
uint16_t analogRead(uint8_t);
uint32_t analogReadMilliVolts(uint8_t);
void analogReadResolution(uint8_t);
void analogSetAttenuation(adc_attenuation_t);
