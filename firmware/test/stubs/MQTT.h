// Host stub of 256dpi/arduino-mqtt 2.5 (MQTTClient) as used by src/main.cpp.
#pragma once
#include <Arduino.h>

typedef enum { LWMQTT_SUCCESS = 0 } lwmqtt_err_t;
typedef enum { LWMQTT_CONNECTION_ACCEPTED = 0 } lwmqtt_return_code_t;
typedef void (*MQTTClientCallbackSimple)(String& topic, String& payload);

class MQTTClient {
 public:
  explicit MQTTClient(int bufSize = 128) { (void)bufSize; }
  MQTTClient(int readBufSize, int writeBufSize) { (void)readBufSize; (void)writeBufSize; }
  void begin(const char hostname[], int port, Client& client);
  void onMessage(MQTTClientCallbackSimple cb);
  void setWill(const char topic[], const char payload[], bool retained, int qos);
  void setKeepAlive(int keepAlive);
  void setCleanSession(bool cleanSession);
  void setTimeout(int timeout);
  bool connect(const char clientId[], bool skip = false);
  bool connect(const char clientId[], const char username[], const char password[], bool skip = false);
  bool publish(const char topic[], const char payload[], bool retained, int qos);
  bool publish(const char topic[], const char payload[], int length, bool retained, int qos);
  bool subscribe(const char topic[], int qos);
  bool loop();
  bool connected();
  bool disconnect();
  lwmqtt_err_t lastError();
  lwmqtt_return_code_t returnCode();
};
