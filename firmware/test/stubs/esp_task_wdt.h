// Host stub: the ESP-IDF 4.4 task watchdog API (Arduino-ESP32 2.x).
#pragma once
#include <cstdint>
typedef int esp_err_t;
esp_err_t esp_task_wdt_init(uint32_t timeout_s, bool panic);
esp_err_t esp_task_wdt_add(void* task_handle);
esp_err_t esp_task_wdt_reset();
