// The receive journal's cost per message (nodes/shared/receive-journal.ts): an append as the onSend
// hook makes it for a message of `mqtt in` (its payload a Buffer, as the shipped flow has it) and
// the release once the flow is done with it, for a single reading and for a firmware flush of 30.
// Baseline in the same run: heatpump-decode's decoding of the same message, which every message
// costs anyway.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeMessage, defaultOptions } from '../nodes/heatpump-decode/decode';
import { ReceiveJournal } from '../nodes/shared/receive-journal';
import { devicePayload } from '../test/fixtures/payloads';
import { formatRate, throughput } from './measure';

export const title = 'receive journal: append + release per message, beside decoding it';

const NOW = 1706600000000;
const FLUSH_READINGS = 30;

export async function run(): Promise<void> {
  const base = fs.mkdtempSync(path.join(process.env.BENCH_JOURNAL_DIR ?? os.tmpdir(), 'heatpump-bench-received-'));
  const messages = [
    { label: 'single reading', text: JSON.stringify(devicePayload({ timestamp: NOW })) },
    { label: `flush of ${FLUSH_READINGS} readings`, text: JSON.stringify(Array.from({ length: FLUSH_READINGS }, (_, i) => devicePayload({ timestamp: NOW + i * 10_000 }))) },
  ];
  console.log(`  in ${base}; segments of 1,000 messages, releases written with the next append`);
  try {
    for (const { label, text } of messages) {
      const payload = Buffer.from(text);
      const decode = throughput(`${label}: decode`, () => {
        decodeMessage(payload.toString('utf8'), 'heatpump/site1/data', defaultOptions(), NOW + 3_600_000);
      });
      const journal = new ReceiveJournal(fs, path.join(base, label.replace(/\W+/g, '-')));
      const journaled = throughput(`${label}: journal`, () => {
        journal.release(journal.append('hp_in_data', { topic: 'heatpump/site1/data', payload, qos: 1, retain: false, _msgid: 'a1b2c3d4e5f60718' }));
      });
      journal.flush();
      const perMessageUs = (rate: number) => (1e6 / rate).toFixed(1);
      console.log(
        `  ${label.padEnd(26)} ${String(payload.length).padStart(6)} bytes  decode ${formatRate(decode.opsPerSecond).padStart(9)} (${perMessageUs(decode.opsPerSecond)} µs)` +
          `  journal ${formatRate(journaled.opsPerSecond).padStart(9)} (${perMessageUs(journaled.opsPerSecond)} µs) = ${((decode.opsPerSecond / journaled.opsPerSecond) * 100).toFixed(0)} % of decoding`,
      );
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
