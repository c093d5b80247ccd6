import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReceiveJournal, type ReceiveKey } from '../../nodes/shared/receive-journal';

const message = (n: number): Record<string, unknown> => ({ topic: `heatpump/hp-${n}/data`, payload: { device: `hp-${n}`, n }, qos: 1, retain: false });
/** the n of each message a start would send again */
const numbersOf = (messages: Array<{ msg: Record<string, unknown> }>): number[] => messages.map(({ msg }) => (msg.payload as { n: number }).n);

describe('receive journal (messages confirmed to the broker, not yet handled)', function () {
  let dir: string;
  let clock: number;
  beforeEach(function () {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-received-')), 'received');
    clock = 0;
  });
  afterEach(function () {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });
  const files = (): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  const journalOf = (segmentMessages = 3): ReceiveJournal => new ReceiveJournal(fs, dir, { segmentMessages, segmentMs: 1000 }, () => clock);
  /** what a process killed now would send again: a new journal on the same directory */
  const afterKill = (): number[] => numbersOf(journalOf().leftover().messages);

  // table: appends (by n) and releases (by n), then what a kill at that moment sends again and the files left
  const cases: Array<{ name: string; run: (j: ReceiveJournal, append: (n: number) => void, release: (n: number) => void) => void; again: number[]; files: number }> = [
    { name: 'an appended message is on disk at once', run: (_j, append) => append(1), again: [1], files: 1 },
    { name: 'a release alone is not yet written (a duplicate at worst)', run: (_j, append, release) => (append(1), release(1)), again: [1], files: 1 },
    { name: 'a release goes out with the next append', run: (_j, append, release) => (append(1), release(1), append(2)), again: [2], files: 1 },
    { name: 'a release goes out with flush()', run: (j, append, release) => (append(1), release(1), j.flush()), again: [], files: 1 },
    {
      name: 'a full segment closes; released, it is deleted',
      run: (_j, append, release) => [1, 2, 3, 4].forEach((n) => (append(n), n < 4 && release(n))),
      again: [4],
      files: 1,
    },
    {
      name: 'an older segment with one message not handled keeps every later segment',
      run: (j, append, release) => {
        [1, 2, 3, 4, 5, 6, 7].forEach((n) => append(n));
        [1, 3, 4, 5, 6, 7].forEach((n) => release(n));
        j.flush();
      },
      again: [2],
      files: 3,
    },
    {
      name: 'released last, the oldest message frees every segment',
      run: (j, append, release) => {
        [1, 2, 3, 4, 5, 6].forEach((n) => append(n));
        [1, 3, 4, 5, 6, 2].forEach((n) => release(n));
        j.flush();
      },
      again: [],
      files: 0,
    },
    {
      name: 'an idle open segment closes when old enough, and goes once released',
      run: (j, append, release) => {
        append(1);
        release(1);
        clock += 1000;
        j.flush();
      },
      again: [],
      files: 0,
    },
    {
      name: 'a release after its segment closed idle is written (to a new segment) by flush()',
      run: (j, append, release) => {
        append(1);
        append(2);
        clock += 1000;
        j.flush();
        release(1);
        j.flush();
      },
      again: [2],
      files: 2,
    },
    { name: 'a release of a key twice is harmless', run: (j, append, release) => (append(1), release(1), release(1), j.flush()), again: [], files: 1 },
  ];
  for (const { name, run, again, files: fileCount } of cases) {
    it(name, function () {
      const journal = journalOf();
      const keys = new Map<number, ReceiveKey>();
      run(
        journal,
        (n) => keys.set(n, journal.append(`mqtt-${n % 2}`, message(n))),
        (n) => journal.release(keys.get(n) as ReceiveKey),
      );
      assert.deepEqual(afterKill(), again);
      assert.equal(files().length, fileCount);
    });
  }

  it('names the mqtt in node of each message and keeps its Buffers and texts byte for byte', function () {
    const journal = journalOf(10);
    const correlation = Buffer.from([0, 1, 2, 255]);
    // payloads follow their record line as raw bytes: newlines, quotes and any byte inside them stay theirs
    const binary = Buffer.from([0x0a, 0x7b, 0x22, 0x0a, 0x00, 0xff, 0x0a]);
    journal.append('in-a', { topic: 't/a', payload: Buffer.from('{"raw":true}'), qos: 1, correlationData: correlation });
    journal.append('in-b', { topic: 't/b', payload: '{"text":1}', qos: 2 });
    journal.append('in-c', { topic: 't/c', payload: binary, qos: 1 });
    journal.append('in-d', { topic: 't/d', payload: '[\n{"name":"Wärmepumpe \\"Süd\\""}\n]\n', qos: 1 });
    journal.append('in-e', { topic: 't/e', payload: '', qos: 1 });
    journal.append('in-f', { topic: 't/f', payload: Buffer.alloc(0), qos: 1 });
    const { messages, corrupt } = journalOf().leftover();
    assert.equal(corrupt, 0);
    assert.deepEqual(messages, [
      { source: 'in-a', msg: { topic: 't/a', payload: Buffer.from('{"raw":true}'), qos: 1, correlationData: correlation } },
      { source: 'in-b', msg: { topic: 't/b', payload: '{"text":1}', qos: 2 } },
      { source: 'in-c', msg: { topic: 't/c', payload: binary, qos: 1 } },
      { source: 'in-d', msg: { topic: 't/d', payload: '[\n{"name":"Wärmepumpe \\"Süd\\""}\n]\n', qos: 1 } },
      { source: 'in-e', msg: { topic: 't/e', payload: '', qos: 1 } },
      { source: 'in-f', msg: { topic: 't/f', payload: Buffer.alloc(0), qos: 1 } },
    ]);
  });

  it('reads the journal of an earlier version (the payload as base64 in the line)', function () {
    fs.mkdirSync(dir, { recursive: true });
    const payload = Buffer.from('{"device":"hp-1"}\n');
    const lines = [
      JSON.stringify({ i: 0, s: 'in', m: { topic: 't/a', payload: { $buffer: payload.toString('base64') }, qos: 1 } }),
      JSON.stringify({ i: 1, s: 'in', m: { topic: 't/b', payload: 'text', qos: 1 } }),
      JSON.stringify({ r: [[1, 1]] }),
    ];
    fs.writeFileSync(path.join(dir, 'received-000000000001.ndjson'), `${lines.join('\n')}\n`);
    const { messages, corrupt } = journalOf().leftover();
    assert.equal(corrupt, 0);
    assert.deepEqual(messages, [{ source: 'in', msg: { topic: 't/a', payload, qos: 1 } }]);
  });

  it('counts a record whose payload a power cut cut short as unreadable, reads those before it, and none of its bytes as records', function () {
    const journal = journalOf(10);
    journal.append('in', { topic: 't/a', payload: Buffer.from('first'), qos: 1 });
    // a payload holding a line that reads as a record of the journal
    const inside = JSON.stringify({ i: 7, s: 'in', m: { topic: 't/forged', qos: 1 } });
    journal.append('in', { topic: 't/b', payload: Buffer.from(`second\n${inside}\nreading`), qos: 1 });
    const [file] = files();
    const full = fs.readFileSync(path.join(dir, file as string));
    // the last record loses its payload's last bytes and the newline after them
    fs.writeFileSync(path.join(dir, file as string), full.subarray(0, full.length - 4));
    const { messages, corrupt } = journalOf().leftover();
    assert.deepEqual(messages, [{ source: 'in', msg: { topic: 't/a', payload: Buffer.from('first'), qos: 1 } }]);
    // the record, once: what is left of its payload is not read as lines
    assert.equal(corrupt, 1);
  });

  it('a start continues after the leftover segments, and removing them leaves only its own', function () {
    const first = journalOf();
    [1, 2, 3, 4].forEach((n) => first.append('in', message(n)));
    const second = journalOf();
    const leftover = second.leftover();
    assert.deepEqual(numbersOf(leftover.messages), [1, 2, 3, 4]);
    // the start sends them again: they are appended anew before the old files go
    leftover.messages.forEach(({ source, msg }) => second.append(source, msg));
    second.removeLeftover(leftover.files);
    assert.deepEqual(afterKill(), [1, 2, 3, 4]);
    assert.ok(files().every((file) => !leftover.files.includes(path.join(dir, file))), `old files gone: ${files().join(', ')}`);
  });

  it('counts a line cut by a power cut as unreadable and reads the rest', function () {
    const journal = journalOf();
    journal.append('in', message(1));
    const [file] = files();
    fs.appendFileSync(path.join(dir, file as string), '{"i":1,"s":"in","m":{"topic"');
    const { messages, corrupt } = journalOf().leftover();
    assert.deepEqual(numbersOf(messages), [1]);
    assert.equal(corrupt, 1);
  });

  it('sets messages aside under a name no start reads', function () {
    const journal = journalOf();
    const file = journal.setAside([{ source: 'gone', msg: message(9) }], 'orphaned-test.ndjson');
    assert.equal(path.dirname(file), dir);
    assert.deepEqual(journalOf().leftover().messages, []);
    assert.match(fs.readFileSync(file, 'utf8'), /"source":"gone"/);
  });
});
