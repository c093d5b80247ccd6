// heatpump-decode's pure core against bare JSON.parse of the same payloads: decoding has to
// parse anyway, so the ratio shows what checking and mapping add (goal: >= 50 % of JSON.parse).
import { util } from '@node-red/util';
import { decodeMessage, defaultOptions } from '../nodes/heatpump-decode/decode';
import { readingToPoint, toPoints } from '../nodes/shared/points';
import { devicePayload, type DevicePayload } from '../test/fixtures/payloads';
import { printComparison, throughput } from './measure';

export const title = 'heatpump-decode: decode vs JSON.parse';

const NOW = 1706600000000;

/** The example reading of the device contract as the index-th of a 100-reading flush: 10 s apart, the ambient temperature varying. */
const seedReading = (index: number): DevicePayload =>
  devicePayload({ timestamp: NOW - (100 - index) * 10000, temperature: { ambient: 25.0 + (index % 5) } });

export async function run(): Promise<void> {
  const options = defaultOptions();
  const single = JSON.stringify(seedReading(0));
  const flush = JSON.stringify(Array.from({ length: 100 }, (_, index) => seedReading(index)));
  let sink = 0;

  for (const [label, payload, readings] of [
    ['single reading', single, 1],
    ['100-reading array', flush, 100],
  ] as const) {
    console.log(` ${label} (${payload.length} bytes)`);
    const decode = throughput(`decodeMessage, ${label}`, () => {
      sink += decodeMessage(payload, 'heatpump/site1/data', options, NOW).readings.length;
    }, readings);
    const parse = throughput(`JSON.parse, ${label}`, () => {
      const parsed: unknown = JSON.parse(payload);
      sink += Array.isArray(parsed) ? parsed.length : 1;
    }, readings);
    printComparison(decode, parse, { minRatio: 0.5, text: '>= 50 % of JSON.parse' });
  }

  const decoded = decodeMessage(flush, 'heatpump/site1/data', options, NOW).readings.map((r) => r.reading);
  console.log(' points for influxdb batch (100 readings)');
  const convert = throughput('toPoints, 100 readings', () => {
    const result = toPoints(decoded);
    sink += result.ok ? result.value.points.length : 0;
  }, 100);
  const decodeOnly = throughput('decodeMessage, 100-reading array', () => {
    sink += decodeMessage(flush, 'heatpump/site1/data', options, NOW).readings.length;
  }, 100);
  printComparison(convert, decodeOnly);

  // What heatpump-batch's readings cost on the way from heatpump-decode: through a second wire on
  // output 1, the runtime's copy of the readings message and their conversion in heatpump-batch;
  // through output 4, points built in heatpump-decode and checked in heatpump-batch.
  const readingsMsg = { _msgid: 'm1', topic: 'site1', payload: decoded, invalid: decoded.map(() => []), invalidReasons: decoded.map(() => null) };
  console.log(' readings to heatpump-batch (100 readings)');
  const secondWire = throughput('second wire on output 1: copy + toPoints', () => {
    const result = toPoints(util.cloneMessage(readingsMsg).payload);
    sink += result.ok ? result.value.points.length : 0;
  }, 100);
  const pointsOutput = throughput('output 4: readingToPoint + toPoints', () => {
    const result = toPoints(decoded.map(readingToPoint));
    sink += result.ok ? result.value.points.length : 0;
  }, 100);
  printComparison(pointsOutput, secondWire);
  if (sink < 0) console.log(sink); // keeps the work observable
}
