// Bad gateway input, fuzzed (seeded): topics and payloads an MQTT broker may carry, mutated raw
// frames, ATTR objects with nasty labels and values. The decoders never throw, and whatever they
// emit is a MetricsReading the storage takes (metric names by the contract's rule, finite values).
import assert from 'node:assert/strict';
import { metricsReadingProblem, type MetricsReading } from '../../nodes/shared/contract';
import { EspalthermaDecoder } from '../../nodes/espaltherma-decode/decode';
import { HeishamonDecoder } from '../../nodes/heishamon-decode/decode';
import { MAIN_TOPICS } from '../../nodes/heishamon-decode/topics';
import { Random, fuzzCases, fuzzSeed, nastyString, nastyValue } from '../fixtures/bad-input-fuzz';
import { buildFrame } from '../support/heishamon';
import { labelRows } from '../support/espaltherma';

const CASES = fuzzCases(20_000);
const HEISHAMON_LEVELS = ['main', 'sdc', 'extra', 'optional', 'opt', '1wire', 's0', 'LWT', 'raw', 'commands', 'log'];

/** Every reading that leaves a decoder passes the contract's one check. */
function check(readings: readonly MetricsReading[], what: string): void {
  for (const reading of readings) assert.equal(metricsReadingProblem(reading), undefined, what);
}

describe('gateway decoders under fuzzed input', function () {
  const seed = fuzzSeed();

  it(`heishamon-decode: ${CASES} topics and payloads, seed ${seed}`, function () {
    const random = new Random(seed);
    const topics = [...MAIN_TOPICS.keys(), 'Heat_Energy_Production', 'raw', 'data', 'Watt/1', nastyString(random)];
    const decoders = [new HeishamonDecoder({ base: 'panasonic_heat_pump', deviceId: '', raw: false }), new HeishamonDecoder({ base: '', deviceId: '', raw: true })];
    for (let i = 0; i < CASES; i += 1) {
      const base = random.chance(0.8) ? 'panasonic_heat_pump' : nastyString(random);
      const topic = `${base}/${random.pick(HEISHAMON_LEVELS)}/${random.chance(0.8) ? random.pick(topics) : nastyString(random)}`;
      let payload: unknown;
      if (random.chance(0.2)) {
        const frame = buildFrame(Object.fromEntries(Array.from({ length: 20 }, () => [4 + random.int(198), random.int(256)])));
        // most frames stay whole, some lose their checksum or a few bytes
        if (random.chance(0.3)) frame[random.int(frame.length)] = random.int(256);
        payload = random.chance(0.1) ? frame.subarray(0, random.int(frame.length)) : Buffer.from(frame);
      } else payload = random.chance(0.5) ? String(Math.round((random.next() - 0.5) * 10_000) / 100) : nastyValue(random);
      const decoder = random.pick(decoders);
      const what = `case ${i}: ${topic} ${JSON.stringify(payload)?.slice(0, 80)}`;
      const outcome = decoder.input(topic, payload, 1_700_000_000_000 + i * 1000);
      if (outcome?.ok) check(outcome.value.readings, what);
      if (random.chance(0.05)) check([decoder.flush(outcome?.ok ? outcome.value.deviceId : 'panasonic_heat_pump')].filter((r) => r !== undefined), what);
    }
  });

  it(`espaltherma-decode: ${CASES} ATTR objects and OneATTR values, seed ${seed}`, function () {
    const random = new Random(seed);
    const labels = [...new Set(labelRows().map((row) => row.label))];
    const decoder = new EspalthermaDecoder({ base: 'espaltherma', deviceId: 'espaltherma', family: '' });
    for (let i = 0; i < CASES; i += 1) {
      const label = random.chance(0.8) ? random.pick(labels) : nastyString(random);
      const value = random.chance(0.5) ? random.pick(['ON', 'OFF', ' 0', 'A1', 'Heating', '12.5', '-3', '']) : nastyValue(random);
      let topic = 'espaltherma/ATTR';
      let payload: unknown = Object.fromEntries(Array.from({ length: 1 + random.int(8) }, () => [random.chance(0.8) ? random.pick(labels) : nastyString(random), random.chance(0.5) ? value : nastyValue(random)]));
      if (random.chance(0.4)) [topic, payload] = [`espaltherma/OneATTR/${label}`, value];
      else if (random.chance(0.2)) payload = JSON.stringify(payload);
      else if (random.chance(0.05)) payload = nastyValue(random);
      const outcome = decoder.input(topic, payload, 1_700_000_000_000 + i * 1000);
      if (outcome?.ok) check(outcome.value.readings, `case ${i}: ${topic} ${JSON.stringify(payload)?.slice(0, 80)}`);
    }
  });
});
