// Arduino glue of the heat pump monitor (ESP32 + SIM800C): pins, modem, MQTT, watchdog, LED.
// Every decision that can be tested lives in lib/core (host-tested); this file only moves data
// between the hardware and the core.
#include <Arduino.h>
#include <esp_task_wdt.h>

// Feed the watchdog while TinyGSM waits for the modem: each of its waits is bounded by its own
// timeout, and a GPRS attach can take longer than the 30 s watchdog.
#define TINY_GSM_MODEM_SIM800
#define TINY_GSM_RX_BUFFER 1024
#define TINY_GSM_YIELD() \
  {                      \
    esp_task_wdt_reset(); \
    delay(0);            \
  }
#include <MQTT.h>
#include <TinyGsmClient.h>

#include <cstring>
#include <string>
#include <vector>

#include "alerts.h"
#include "commands.h"
#include "config.h"
#include "config_check.h"
#include "modem_text.h"
#include "payload.h"
#include "ring_buffer.h"
#include "sensors.h"
#include "status_text.h"

namespace {

// ---- state ------------------------------------------------------------------------------------

// Survives watchdog and software resets (not power-on): ringRecover() checks magic and CRC.
RTC_NOINIT_ATTR hp::ReadingRing ring;

HardwareSerial& SerialAT = Serial2;
TinyGsm modem(SerialAT);
TinyGsmClient net(modem);
// Read buffer: commands and SMS requests (one SMS is < 1 KB as JSON). Write buffer: one batch
// of kMaxBatchBytes plus topic and MQTT header.
constexpr int kMqttReadBuffer = 1024;
constexpr int kMqttWriteBuffer = static_cast<int>(hp::kMaxBatchBytes) + 256;
MQTTClient mqtt(kMqttReadBuffer, kMqttWriteBuffer);

const hp::DeviceInfo kDevice{DEVICE_ID, FIRMWARE_VERSION};
const hp::Thresholds kThresholds = {
    {VOLTAGE_HIGH_WARNING, VOLTAGE_LOW_WARNING, COMP_TEMP_WARNING, PRESSURE_HIGH_WARNING, PRESSURE_LOW_WARNING,
     CURRENT_WARNING},
    {VOLTAGE_HIGH_CRITICAL, VOLTAGE_LOW_CRITICAL, COMP_TEMP_CRITICAL, PRESSURE_HIGH_CRITICAL, PRESSURE_LOW_CRITICAL,
     CURRENT_CRITICAL},
};
const std::vector<std::string> kAdmins = hp::parseNumberList(ADMIN_NUMBERS);

const String kTopicBase = String("heatpump/") + DEVICE_ID;
const String kTopicData = kTopicBase + "/data";
const String kTopicOnline = kTopicBase + "/status/online";
const String kTopicAlerts = kTopicBase + "/alerts";
const String kTopicCmd = kTopicBase + "/cmd";
const String kTopicSmsSend = kTopicBase + "/sms/send";
const String kTopicSmsSent = kTopicBase + "/sms/sent";
const String kTopicSmsReceived = kTopicBase + "/sms/received";

hp::AlertCooldown alertCooldown(ALERT_COOLDOWN);
hp::ClockSync clockSync{false, 0, 0, 0};
int signalPercent = -1;
bool smsReady = false;
bool restartRequested = false;

uint32_t lastSensorRead = 0, lastPublish = 0, lastSmsCheck = 0, lastHeartbeat = 0, lastConnectAttempt = 0;
constexpr uint32_t kReconnectEveryMs = 30000;

// Small bounded queues: MQTT messages that arrived inside mqtt.loop() (no modem commands may run
// there) and publishes waiting for a connection. Oldest dropped when full.
struct Message {
  String topic;
  String payload;
};
template <size_t N>
struct Queue {
  Message items[N];
  size_t count = 0;
  void push(const String& topic, const String& payload) {
    if (count == N) {
      for (size_t i = 1; i < N; ++i) items[i - 1] = items[i];
      --count;
      Serial.println("[QUEUE] full, oldest dropped");
    }
    items[count++] = {topic, payload};
  }
  void popFront() {
    for (size_t i = 1; i < count; ++i) items[i - 1] = items[i];
    if (count > 0) --count;
  }
};
Queue<4> inbound;
Queue<16> outbound;

// The bridge retries a send with the same id: answer repeats from here instead of sending twice.
struct SentResult {
  std::string id;
  String payload;
};
SentResult recentSent[8];
size_t recentSentNext = 0;

char payloadBuffer[hp::kMaxBatchBytes];

// ---- helpers ----------------------------------------------------------------------------------

bool due(uint32_t& last, uint32_t interval, uint32_t now) {
  if (now - last < interval) return false;
  last = now;
  return true;
}

void publishOrQueue(const String& topic, const char* payload, size_t length) {
  const String body = String(payload).substring(0, length);
  if (mqtt.connected() && mqtt.publish(topic.c_str(), body.c_str(), static_cast<int>(body.length()), false, 1)) return;
  outbound.push(topic, body);
}

void syncClock() {
  const int64_t now = hp::parseModemTime(modem.getGSMDateTime(DATE_FULL).c_str());
  if (now != 0) clockSync = {true, now, static_cast<uint32_t>(millis()), ring.boot};
}

void updateSignal() {
  const int csq = modem.getSignalQuality();
  signalPercent = hp::csqToPercent(csq);
}

// ---- SMS --------------------------------------------------------------------------------------

// ESC cancels the text of an AT+CMGS; in command mode the modem ignores it.
constexpr uint8_t kEsc = 0x1B;

hp::SendResult sendSms(const std::string& to, const std::string& text) {
  modem.sendAT(GF("+CMGS=\""), to.c_str(), GF("\""));
  if (modem.waitResponse(5000L, GF(">")) != 1) {
    // a prompt that comes late would take the next AT commands as the text
    SerialAT.write(kEsc);
    return {false, -1, "no prompt from modem"};
  }
  SerialAT.print(text.c_str());
  SerialAT.write(static_cast<uint8_t>(0x1A));  // Ctrl-Z ends the text
  SerialAT.flush();
  String response;
  // The network answers within seconds to a minute; "+CMS ERROR: <n>" needs its number read.
  const int8_t result = modem.waitResponse(60000L, response, GF("OK\r\n"), GF("ERROR:"), GF("ERROR\r\n"));
  if (result == 2) response += SerialAT.readStringUntil('\n');
  return hp::parseCmgsResult(response.c_str());
}

void smsToAdmins(const std::string& text) {
  for (const auto& admin : kAdmins) {
    const hp::SendResult r = sendSms(admin, text);
    Serial.printf("SMS to %s: %s\n", admin.c_str(), r.ok ? "sent" : r.error.c_str());
  }
}

bool prepareSms() {
  if (smsReady) return true;
  // Fails until the modem has printed "SMS Ready" after power-up: retried on the next check.
  modem.sendAT(GF("+CMGF=1"));
  if (modem.waitResponse() != 1) return false;
  modem.sendAT(GF("+CSCS=\"IRA\""));
  modem.waitResponse();
  modem.sendAT(GF("+CNMI=0,0,0,0,0"));  // store only: we poll every SMS_CHECK_INTERVAL
  modem.waitResponse();
  smsReady = true;
  return true;
}

std::string statusText() {
  return hp::buildStatusText({DEVICE_ID, hp::ringNewest(ring), ring.count, hp::kBufferCapacity, signalPercent,
                              static_cast<uint32_t>(millis() / 1000)});
}

void checkSms() {
  if (!prepareSms()) return;
  modem.sendAT(GF("+CMGL=\"ALL\""));
  String listing;
  if (modem.waitResponse(10000L, listing) != 1) return;
  for (const hp::StoredSms& sms : hp::parseCmgl(listing.c_str())) {
    const hp::Command command = hp::isAdmin(sms.sender, kAdmins) ? hp::parseCommandText(sms.text) : hp::Command::None;
    Serial.printf("[SMS] from %s: %s\n", sms.sender.c_str(), command == hp::Command::None ? "forwarded" : "command");
    const size_t n = hp::buildSmsReceived(payloadBuffer, sizeof payloadBuffer, sms.sender, sms.text, sms.timestamp_ms,
                                          command != hp::Command::None);
    if (n > 0) publishOrQueue(kTopicSmsReceived, payloadBuffer, n);
    modem.sendAT(GF("+CMGD="), sms.index);
    modem.waitResponse();
    if (command == hp::Command::Status) sendSms(sms.sender, statusText());
    if (command == hp::Command::Reset) {
      sendSms(sms.sender, "Restarting device...");
      restartRequested = true;
    }
  }
}

void handleSmsSendRequest(const String& payload) {
  const hp::SmsSendRequest request = hp::parseSmsSendRequest(payload.c_str(), payload.length());
  for (const SentResult& sent : recentSent) {
    if (!request.id.empty() && sent.id == request.id) {
      publishOrQueue(kTopicSmsSent, sent.payload.c_str(), sent.payload.length());
      return;
    }
  }
  hp::SendResult result{false, -1, request.error};
  if (request.ok) result = sendSms(request.to, request.text);
  Serial.printf("[SMS] send %s to %s: %s\n", request.id.c_str(), request.to.c_str(), result.ok ? "ok" : result.error.c_str());
  const size_t n = hp::buildSmsSent(payloadBuffer, sizeof payloadBuffer, request.id, result.ok, result.reference, result.error);
  if (n == 0) return;
  recentSent[recentSentNext] = {request.id, String(payloadBuffer).substring(0, n)};
  recentSentNext = (recentSentNext + 1) % (sizeof recentSent / sizeof recentSent[0]);
  publishOrQueue(kTopicSmsSent, payloadBuffer, n);
}

// ---- sensors ----------------------------------------------------------------------------------

hp::Measurement sampleAc(uint8_t pin, const hp::AcConfig& config) {
  static uint16_t samples[AC_SAMPLES];
  const uint32_t gap_us = AC_WINDOW_MS * 1000UL / AC_SAMPLES;
  for (size_t i = 0; i < AC_SAMPLES; ++i) {
    samples[i] = static_cast<uint16_t>(analogRead(pin));
    delayMicroseconds(gap_us);
  }
  return hp::acRms(samples, AC_SAMPLES, config);
}

hp::Reading readSensors() {
  hp::Reading r;
  std::memset(&r, 0, sizeof r);
  r.uptime_ms = millis();
  r.timestamp_ms = hp::clockNow(clockSync, r.uptime_ms);
  r.boot = ring.boot;
  const uint8_t tempPins[] = {PIN_TEMP_INLET, PIN_TEMP_OUTLET, PIN_TEMP_AMBIENT, PIN_TEMP_COMPRESSOR};
  for (uint8_t i = 0; i < 4; ++i) {
    const hp::Measurement m = hp::ntcCelsius(static_cast<uint16_t>(analogRead(tempPins[i])));
    hp::setValue(r, static_cast<hp::Sensor>(hp::TEMP_INLET + i), m.value, m.valid);
  }
  const hp::Measurement volts = sampleAc(PIN_VOLTAGE, hp::kZmpt101b);
  const hp::Measurement amps = sampleAc(PIN_CURRENT, hp::kAcs712_20a);
  hp::setValue(r, hp::VOLTAGE, volts.value, volts.valid);
  hp::setValue(r, hp::CURRENT, amps.value, amps.valid);
  const hp::Measurement high = PRESSURE_FITTED ? hp::pressurePsi(analogReadMilliVolts(PIN_PRESSURE_HIGH)) : hp::Measurement{0, false};
  const hp::Measurement low = PRESSURE_FITTED ? hp::pressurePsi(analogReadMilliVolts(PIN_PRESSURE_LOW)) : hp::Measurement{0, false};
  hp::setValue(r, hp::PRESSURE_HIGH, high.value, high.valid);
  hp::setValue(r, hp::PRESSURE_LOW, low.value, low.valid);
  r.compressor_running = amps.valid && amps.value > COMPRESSOR_ON_CURRENT;
  r.fan_running = PIN_FAN_RUNNING >= 0 && digitalRead(PIN_FAN_RUNNING) == HIGH;
  r.defrost_active = PIN_DEFROST_ACTIVE >= 0 && digitalRead(PIN_DEFROST_ACTIVE) == HIGH;
  r.signal_percent = static_cast<uint8_t>(signalPercent < 0 ? 0 : signalPercent);
  hp::annotateAlerts(r, kThresholds);
  return r;
}

void printReading(const hp::Reading& r) {
  auto v = [&](hp::Sensor s) { return hp::isValid(r, s) ? r.value[s] : NAN; };
  Serial.printf("Temps: %.1f / %.1f / %.1f / %.1f C\n", v(hp::TEMP_INLET), v(hp::TEMP_OUTLET), v(hp::TEMP_AMBIENT),
                v(hp::TEMP_COMPRESSOR));
  Serial.printf("V: %.1fV I: %.1fA P: %.0fW\n", v(hp::VOLTAGE), v(hp::CURRENT), hp::powerValid(r) ? hp::power(r) : NAN);
  Serial.printf("Pressure: %.0f/%.0f PSI\n", v(hp::PRESSURE_HIGH), v(hp::PRESSURE_LOW));
  Serial.printf("Buffer: %u/%u readings\n", ring.count, hp::kBufferCapacity);
}

void raiseAlerts(const hp::Reading& r) {
  hp::Alert alerts[hp::ALERT_TYPE_COUNT];
  const size_t count = alertCooldown.due(r, kThresholds, millis(), alerts);
  for (size_t i = 0; i < count; ++i) {
    const hp::Alert& a = alerts[i];
    const hp::AlertRule& rule = hp::kAlertRules[a.type];
    Serial.printf("[ALERT] %s %s: %.1f%s\n", rule.type, a.level == hp::LEVEL_CRITICAL ? "critical" : "warning", a.value, rule.unit);
    const size_t n = hp::buildAlertPayload(payloadBuffer, sizeof payloadBuffer, a, kDevice, hp::resolveTimestamp(r, clockSync));
    if (n > 0) publishOrQueue(kTopicAlerts, payloadBuffer, n);
    if (a.level == hp::LEVEL_CRITICAL) {
      char text[161];
      snprintf(text, sizeof text, "ALERT %s: %s %.1f%s (limit %.0f%s)", DEVICE_ID, rule.message, a.value, rule.unit,
               a.threshold, rule.unit);
      smsToAdmins(hp::toGsmText(text));
    }
  }
}

void sensorCycle() {
  Serial.println("\n[MAIN] Reading sensors...");
  updateSignal();
  const hp::Reading r = readSensors();
  hp::ringPush(ring, r);
  printReading(r);
  raiseAlerts(r);
}

// ---- connectivity -----------------------------------------------------------------------------

void onMqttMessage(String& topic, String& payload) { inbound.push(topic, payload); }

bool connectMqtt() {
  if (mqtt.connected()) return true;
  if (!modem.isGprsConnected()) {
    Serial.println("GPRS connecting...");
    if (!modem.gprsConnect(GSM_APN, GSM_USER, GSM_PASS)) {
      Serial.println("GPRS failed");
      return false;
    }
    Serial.println("GPRS connected");
    Serial.printf("IP: %s\n", modem.getLocalIP().c_str());
  }
  mqtt.setWill(kTopicOnline.c_str(), "offline", true, 1);
  const bool ok = strlen(MQTT_USER) > 0 ? mqtt.connect(DEVICE_ID, MQTT_USER, MQTT_PASSWORD) : mqtt.connect(DEVICE_ID);
  if (!ok) {
    Serial.printf("MQTT connect failed (error %d, return code %d)\n", static_cast<int>(mqtt.lastError()),
                  static_cast<int>(mqtt.returnCode()));
    return false;
  }
  Serial.println("MQTT connected");
  mqtt.publish(kTopicOnline.c_str(), "online", true, 1);
  mqtt.subscribe(kTopicCmd.c_str(), 1);
  mqtt.subscribe(kTopicSmsSend.c_str(), 1);
  syncClock();
  return true;
}

void flushOutbound() {
  while (outbound.count > 0 && mqtt.connected()) {
    const Message& m = outbound.items[0];
    if (!mqtt.publish(m.topic.c_str(), m.payload.c_str(), static_cast<int>(m.payload.length()), false, 1)) return;
    outbound.popFront();
  }
}

/** Publishes the whole buffer in batches; stops at the first failure and keeps the rest. */
void publishBuffer() {
  Serial.println("\n[MAIN] MQTT publish cycle...");
  if (!connectMqtt()) return;
  uint16_t published = 0;
  while (ring.count > 0) {
    const hp::Batch batch = hp::buildBatch(payloadBuffer, sizeof payloadBuffer, ring, kDevice, clockSync);
    if (batch.count == 0) break;
    if (!mqtt.publish(kTopicData.c_str(), payloadBuffer, static_cast<int>(batch.length), false, 1)) {
      Serial.println("MQTT publish failed: readings kept");
      break;
    }
    hp::ringDropOldest(ring, batch.count);
    hp::ringClearDropped(ring);
    published += batch.count;
  }
  Serial.printf("Published %u readings\n", published);
  if (ring.count == 0) Serial.println("Buffer cleared");
}

void handleInbound() {
  while (inbound.count > 0) {
    const Message m = inbound.items[0];
    inbound.popFront();
    if (m.topic == kTopicSmsSend) {
      handleSmsSendRequest(m.payload);
      continue;
    }
    const hp::Command command = hp::parseCommandPayload(m.payload.c_str(), m.payload.length());
    Serial.printf("[CMD] %s\n", m.payload.c_str());
    // STATUS: a fresh reading and the whole buffer go out on .../data right away.
    if (command == hp::Command::Status) {
      sensorCycle();
      publishBuffer();
    }
    if (command == hp::Command::Reset) restartRequested = true;
  }
}

bool initModem() {
  Serial.println("\n--- GSM Initialization ---");
  SerialAT.begin(GSM_BAUD, SERIAL_8N1, PIN_GSM_RX, PIN_GSM_TX);
  // A SIM800 that kept its power while the ESP32 restarted (watchdog, RESET command) may still be
  // at the prompt of an AT+CMGS: it would take every AT of the restart as SMS text.
  SerialAT.write(kEsc);
  if (!modem.restart(strlen(GSM_SIM_PIN) > 0 ? GSM_SIM_PIN : nullptr)) {
    Serial.println("GSM not responding");
    return false;
  }
  Serial.println("GSM ready");
  if (!modem.waitForNetwork(60000L)) {
    Serial.println("Network not registered yet");
    return false;
  }
  Serial.printf("Network registered: %s\n", modem.getOperator().c_str());
  updateSignal();
  Serial.printf("Signal: %d%%\n", signalPercent);
  syncClock();
  return true;
}

void heartbeat(uint32_t now) {
  // A short blink every 5 s; a second blink when the broker is not connected.
  const uint32_t phase = now - lastHeartbeat;
  if (phase >= HEARTBEAT_INTERVAL) lastHeartbeat = now;
  const bool on = phase < 80 || (!mqtt.connected() && phase >= 250 && phase < 330);
  digitalWrite(PIN_STATUS_LED, on ? HIGH : LOW);
}

}  // namespace

void setup() {
  Serial.begin(115200);
  pinMode(PIN_STATUS_LED, OUTPUT);
  if (PIN_FAN_RUNNING >= 0) pinMode(PIN_FAN_RUNNING, INPUT);
  if (PIN_DEFROST_ACTIVE >= 0) pinMode(PIN_DEFROST_ACTIVE, INPUT);
  analogReadResolution(12);
  analogSetAttenuation(ADC_11db);

  Serial.println("=====================================");
  Serial.println("  Smart Heat Pump Monitor");
  Serial.printf("  Version: %s\n", FIRMWARE_VERSION);
  Serial.println("=====================================");
  Serial.printf("Device ID: %s\n", DEVICE_ID);
  Serial.println("Mode: Live");
  Serial.printf("Free Heap: %u bytes\n", ESP.getFreeHeap());
  const bool kept = hp::ringRecover(ring);
  Serial.printf("Buffer: %s, %u/%u readings (reset reason %d)\n", kept ? "kept" : "new", ring.count,
                hp::kBufferCapacity, static_cast<int>(esp_reset_reason()));

  Serial.println("\n--- Configuration Validation ---");
  const hp::DeviceConfig config{DEVICE_ID, FIRMWARE_VERSION, GSM_APN, MQTT_HOST, MQTT_PORT, ADMIN_NUMBERS,
                                SENSOR_READ_INTERVAL, MQTT_PUBLISH_INTERVAL, SMS_CHECK_INTERVAL, ALERT_COOLDOWN,
                                WATCHDOG_TIMEOUT_S, kThresholds};
  const std::vector<std::string> problems = hp::validateConfig(config);
  for (const auto& p : problems) Serial.printf("CONFIG: %s\n", p.c_str());
  Serial.println(problems.empty() ? "Configuration OK" : "Configuration has problems (see above)");

  Serial.println("\n--- Watchdog Timer ---");
  esp_task_wdt_init(WATCHDOG_TIMEOUT_S, true);
  esp_task_wdt_add(nullptr);
  Serial.printf("Watchdog enabled: %ds timeout\n", WATCHDOG_TIMEOUT_S);

  mqtt.begin(MQTT_HOST, MQTT_PORT, net);
  mqtt.onMessage(onMqttMessage);
  mqtt.setKeepAlive(60);
  // A persistent session: QoS 1 commands sent while the device was away arrive on reconnect.
  mqtt.setCleanSession(false);
  mqtt.setTimeout(15000);

  if (initModem()) connectMqtt();

  Serial.println("\n--- Initialization Complete ---");
  Serial.println("Starting main loop...");
  const uint32_t now = millis();
  lastSensorRead = now - SENSOR_READ_INTERVAL;  // first reading right away
  lastPublish = now;
  lastSmsCheck = now;
  lastConnectAttempt = now;
}

void loop() {
  esp_task_wdt_reset();
  const uint32_t now = millis();
  heartbeat(now);

  if (due(lastSensorRead, SENSOR_READ_INTERVAL, now)) sensorCycle();
  if (due(lastSmsCheck, SMS_CHECK_INTERVAL, now)) checkSms();

  if (mqtt.connected()) {
    mqtt.loop();
    handleInbound();
    flushOutbound();
  } else if (due(lastConnectAttempt, kReconnectEveryMs, now)) {
    connectMqtt();
  }
  if (due(lastPublish, MQTT_PUBLISH_INTERVAL, now)) publishBuffer();

  if (restartRequested) {
    Serial.println("Restarting device...");
    flushOutbound();
    mqtt.disconnect();
    delay(500);
    ESP.restart();  // RTC memory, and with it the buffer, survives a software restart
  }
}
