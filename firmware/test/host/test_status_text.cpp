#include <doctest/doctest.h>

#include <string>

#include "alerts.h"
#include "fixtures.h"
#include "ring_buffer.h"
#include "status_text.h"

using namespace hp;

TEST_CASE("STATUS text fits one SMS") {
  const Reading r = test::seedReading();
  const std::string text = buildStatusText({"site1", &r, 0, kBufferCapacity, 65, 2 * 86400 + 5 * 3600 + 30 * 60});
  CHECK(text ==
        "HEAT PUMP STATUS\nDevice: site1\nTemps: 45/50/25/70C\nV: 230V I: 8.5A P: 1959W\nPressure: 280/70 PSI\n"
        "Alerts: OK\nBuffer: 0/100 readings\nSignal: 65%\nUptime: 2d 5h 30m");
  CHECK(text.size() <= 160);
}

TEST_CASE("STATUS text: invalid values, alerts, no reading yet") {
  Reading r = test::seedReading();
  setValue(r, TEMP_OUTLET, 0.0f, false);
  setValue(r, CURRENT, 16.0f, true);
  setValue(r, VOLTAGE, 247.0f, true);
  annotateAlerts(r, kDefaultThresholds);
  const std::string text = buildStatusText({"site1", &r, 12, kBufferCapacity, -1, 59});
  CHECK(text.find("Temps: 45/--/25/70C") != std::string::npos);
  CHECK(text.find("Alerts: VH! I!!") != std::string::npos);
  CHECK(text.find("P: 3952W") != std::string::npos);
  CHECK(text.find("Buffer: 12/100 readings") != std::string::npos);
  CHECK(text.size() <= 160);

  const std::string empty = buildStatusText({"site1", nullptr, 0, kBufferCapacity, 40, 0});
  CHECK(empty.find("Temps: --/--/--/--C\nV: --V I: --A P: --W") != std::string::npos);
  CHECK(empty.find("Alerts: --") != std::string::npos);
}

TEST_CASE("STATUS text: a long device id drops the least useful lines, never exceeds 160") {
  Reading r = test::seedReading();
  for (int i = 0; i < ALERT_TYPE_COUNT; ++i) setAlertLevel(r, static_cast<AlertType>(i), LEVEL_CRITICAL);
  for (size_t id_length : {20u, 40u, 64u}) {
    CAPTURE(id_length);
    const std::string id(id_length, 'x');
    const std::string text = buildStatusText({id.c_str(), &r, 100, kBufferCapacity, 100, 4000000000u});
    CHECK(text.size() <= 160);
    CHECK(text.rfind("HEAT PUMP STATUS\nDevice: " + id, 0) == 0);
  }
  const std::string id(40, 'x');
  const std::string text = buildStatusText({id.c_str(), &r, 100, kBufferCapacity, 100, 4000000000u});
  CHECK(text.find("Uptime") == std::string::npos);
  CHECK(text.find("Alerts: VH!! VL!! CT!! PH!! PL!! I!!") != std::string::npos);
}

TEST_CASE("uptime format") {
  CHECK(formatUptime(0) == "0d 0h 0m");
  CHECK(formatUptime(2 * 86400 + 5 * 3600 + 30 * 60 + 59) == "2d 5h 30m");
}
