// Host stub of the TinyGSM 0.12 API used by src/main.cpp (SIM800). On ESP32 TinyGSM's GF() is
// a plain string and GsmConstStr a const char*.
#pragma once
#include <Arduino.h>

#ifndef TINY_GSM_MODEM_SIM800
#error "the firmware is built for the SIM800 modem"
#endif

typedef const char* GsmConstStr;
#define GF(x) x
#define GFP(x) x

enum TinyGSMDateTimeFormat { DATE_FULL = 0, DATE_TIME = 1, DATE_DATE = 2 };

class TinyGsm {
 public:
  explicit TinyGsm(Stream& serial) : stream(serial) {}
  bool restart(const char* pin = nullptr);
  bool waitForNetwork(uint32_t timeout_ms = 60000L, bool check_signal = false);
  bool gprsConnect(const char* apn, const char* user = nullptr, const char* pwd = nullptr);
  bool isGprsConnected();
  String getOperator();
  String getLocalIP();
  int16_t getSignalQuality();
  String getGSMDateTime(TinyGSMDateTimeFormat format);
  template <typename... Args>
  void sendAT(Args... cmd) {
    (void)sizeof...(cmd);
  }
  int8_t waitResponse(uint32_t timeout_ms, String& data, GsmConstStr r1 = "OK\r\n", GsmConstStr r2 = "ERROR\r\n",
                      GsmConstStr r3 = nullptr, GsmConstStr r4 = nullptr, GsmConstStr r5 = nullptr);
  int8_t waitResponse(uint32_t timeout_ms, GsmConstStr r1 = "OK\r\n", GsmConstStr r2 = "ERROR\r\n",
                      GsmConstStr r3 = nullptr, GsmConstStr r4 = nullptr, GsmConstStr r5 = nullptr);
  int8_t waitResponse(GsmConstStr r1 = "OK\r\n", GsmConstStr r2 = "ERROR\r\n", GsmConstStr r3 = nullptr);
  Stream& stream;
};

class TinyGsmClient : public Client {
 public:
  explicit TinyGsmClient(TinyGsm& modem, uint8_t mux = 0) { (void)modem; (void)mux; }
};
