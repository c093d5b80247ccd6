// The change log database for real: a temporary SQLite file per test, migrations from an empty
// file and from the previous version, filters, retention, a corrupt and a locked file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database } from 'node-sqlite3-wasm';
import { MIGRATIONS, migrate, schemaVersion } from '../../nodes/heatpump-database/migrations';
import { LogDatabase, DatabaseUnavailable, type LogDatabaseState } from '../../nodes/heatpump-database/log-database';
import { openSqliteFile } from '../../nodes/heatpump-database/sqlite-file';
import type { LogWrite } from '../../nodes/heatpump-database/store';
import type { ChangelogFilter, EventFilter } from '../../nodes/heatpump-database/records';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const change = (i: number, device = 'site1', source = 'modbus'): LogWrite => ({
  kind: 'setting',
  change: { device_id: device, setting: 'heating_curve', old_value: i, new_value: i + 1, source, time: T0 + i * 1000 },
});
const alert = (time: number, severity: 'warning' | 'critical' = 'warning'): LogWrite => ({
  kind: 'event',
  event: { time, type: 'alert_raised', severity, device_id: 'site1', message: 'voltage high', details: { value: 251 } },
});
const noFilter: ChangelogFilter = { device_id: null, source: null, from: null, to: null, limit: 1000 };
const noEventFilter: EventFilter = { device_id: null, type: null, severity: null, from: null, to: null, limit: 1000 };

describe('change log database (real SQLite files)', function () {
  let dir: string;
  let file: string;
  const opened: LogDatabase[] = [];
  const database = (options: Partial<ConstructorParameters<typeof LogDatabase>[1]> = {}) => {
    const db = new LogDatabase(file, { retentionDays: 365, retryMs: 20, maxPending: 1000, now: () => T0 + 10 * DAY, ...options });
    opened.push(db);
    return db;
  };
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 250 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(check(), 'the condition did not come true within 5 s');
  };
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-changelog-'));
    file = path.join(dir, 'heatpump-monitor.db');
  });
  afterEach(function () {
    for (const db of opened.splice(0)) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the schema in an empty file, and a second open applies nothing', function () {
    const sqlite = openSqliteFile(file);
    try {
      assert.deepEqual(migrate(sqlite, T0), MIGRATIONS.map((m) => m.version));
      assert.equal(schemaVersion(sqlite), MIGRATIONS.length);
      assert.deepEqual(migrate(sqlite, T0), []);
    } finally {
      sqlite.close();
    }
  });

  it('migrates a file of the previous version and keeps its entries', function () {
    const sqlite = openSqliteFile(file);
    try {
      migrate(sqlite, T0, MIGRATIONS.slice(0, 1));
      sqlite.run("INSERT INTO changelog (kind, time, source, text) VALUES ('note', ?, 'manual', 'before the upgrade')", [T0]);
      assert.equal(schemaVersion(sqlite), 1);
      assert.deepEqual(migrate(sqlite, T0), [2]);
      assert.equal(sqlite.get('SELECT text FROM changelog')?.text, 'before the upgrade');
      assert.equal(sqlite.get('SELECT count(*) AS n FROM events')?.n, 0);
    } finally {
      sqlite.close();
    }
  });

  it('refuses a file from a newer release', function () {
    const sqlite = openSqliteFile(file);
    try {
      migrate(sqlite, T0);
      sqlite.run('INSERT INTO schema_version (version, applied, description) VALUES (99, 0, ?)', ['future']);
      assert.throws(() => migrate(sqlite, T0), /schema version 99, newer than this release knows/);
    } finally {
      sqlite.close();
    }
  });

  it('records setting changes (and their events) and filters them by device, source and time', function () {
    const db = database();
    db.open();
    db.record([change(1), change(2, 'site2'), change(3, 'site1', 'viessmann'), alert(T0)]);
    assert.equal(db.state.status, 'open');
    const all = db.use((store) => store.changelog(noFilter));
    assert.deepEqual(all.map((e) => e.old_value), [3, 2, 1], 'newest first');
    assert.deepEqual(all[2], {
      id: 1, kind: 'setting', time: new Date(T0 + 1000).toISOString(), device_id: 'site1', setting: 'heating_curve', old_value: 1, new_value: 2,
      unit: null, source: 'modbus', text: null, author: null, updated: null,
    });
    const filtered: [Partial<ChangelogFilter>, number[]][] = [
      [{ device_id: 'site1' }, [3, 1]],
      [{ source: 'viessmann' }, [3]],
      [{ from: T0 + 2000 }, [3, 2]],
      [{ to: T0 + 2000 }, [1]],
      [{ device_id: 'site1', from: T0 + 2000, to: T0 + 4000 }, [3]],
      [{ limit: 1 }, [3]],
    ];
    for (const [filter, expected] of filtered) {
      assert.deepEqual(db.use((store) => store.changelog({ ...noFilter, ...filter })).map((e) => e.old_value), expected, JSON.stringify(filter));
    }
    const events = db.use((store) => store.events(noEventFilter));
    assert.deepEqual(events.map((e) => e.type), ['setting_change', 'setting_change', 'setting_change', 'alert_raised']);
    assert.equal(events[0]?.message, 'heating_curve changed from 3 to 4');
    assert.deepEqual(db.use((store) => store.events({ ...noEventFilter, type: 'alert_raised', severity: 'warning' })).map((e) => e.details), [{ value: 251 }]);
  });

  it('keeps the author of a setting change, and a change for every device (no device id)', function () {
    const db = database();
    db.open();
    db.record([
      { kind: 'setting', change: { device_id: 'site1', setting: 'rule:voltage_low', old_value: { warning: 215 }, new_value: { warning: 225 }, source: 'api', author: 'operator', time: T0 } },
      { kind: 'setting', change: { device_id: null, setting: 'rule:current', old_value: { critical: 15 }, new_value: { critical: 16 }, source: 'editor', time: T0 + 1000 } },
    ]);
    assert.equal(db.state.status, 'open');
    const entries = db.use((store) => store.changelog(noFilter));
    assert.deepEqual(
      entries.map((e) => [e.kind, e.device_id, e.setting, e.old_value, e.new_value, e.source, e.author]),
      [
        ['setting', null, 'rule:current', { critical: 15 }, { critical: 16 }, 'editor', null],
        ['setting', 'site1', 'rule:voltage_low', { warning: 215 }, { warning: 225 }, 'api', 'operator'],
      ],
    );
    const events = db.use((store) => store.events({ ...noEventFilter, type: 'setting_change' }));
    assert.deepEqual(
      events.map((e) => [e.device_id, e.message, e.details]),
      [
        [null, 'rule:current changed from {"critical":15} to {"critical":16}', { setting: 'rule:current', old_value: { critical: 15 }, new_value: { critical: 16 }, source: 'editor' }],
        ['site1', 'rule:voltage_low changed from {"warning":215} to {"warning":225}', { setting: 'rule:voltage_low', old_value: { warning: 215 }, new_value: { warning: 225 }, source: 'api', author: 'operator' }],
      ],
    );
  });

  it('adds, edits and deletes notes; setting changes stay', function () {
    const db = database();
    db.open();
    db.record([change(1)]);
    const note = db.use((store) => store.addNote({ text: 'new pump', device_id: 'site1', author: 'anna', time: T0 }));
    assert.equal(note.kind, 'note');
    assert.equal(note.source, 'manual');
    const edited = db.use((store) => store.updateNote(note.id, { text: 'new circulation pump', author: null }, T0 + DAY));
    assert.deepEqual([edited?.text, edited?.author, edited?.device_id, edited?.updated], ['new circulation pump', null, 'site1', new Date(T0 + DAY).toISOString()]);
    assert.equal(db.use((store) => store.updateNote(999, { text: 'x' }, T0)), undefined);
    assert.equal(db.use((store) => store.deleteNote(1))?.kind, 'setting', 'a setting change is reported, not deleted');
    assert.equal(db.use((store) => store.deleteNote(note.id))?.id, note.id);
    assert.deepEqual(db.use((store) => store.changelog(noFilter)).map((e) => e.kind), ['setting']);
    assert.deepEqual(db.use((store) => store.events({ ...noEventFilter, type: 'note' })).map((e) => e.message), ['new pump'], 'the event log keeps what happened');
  });

  it('deletes events past the retention (checked at most hourly), never change log entries', function () {
    let now = T0 + 10 * DAY;
    const db = database({ retentionDays: 5, now: () => now });
    db.open();
    db.record([alert(T0), alert(T0 + 9 * DAY), change(1)]);
    assert.equal(db.use((store) => store.events(noEventFilter)).length, 3, 'pruned on open, not again within the hour');
    now += 2 * 3_600_000;
    db.record([]);
    assert.deepEqual(db.use((store) => store.events(noEventFilter)).map((e) => e.time), [new Date(T0 + 9 * DAY).toISOString()]);
    assert.equal(db.use((store) => store.changelog(noFilter)).length, 1);
  });

  it('keeps the entries of two flows writing at once, across a reopen', async function () {
    const db = database();
    db.open();
    const flowA = Array.from({ length: 200 }, (_, i) => change(i, 'site1'));
    const flowB = Array.from({ length: 200 }, (_, i) => change(i, 'site2', 'viessmann'));
    await Promise.all([flowA, flowB].map(async (writes) => {
      for (const write of writes) {
        db.record([write]);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }));
    db.close();
    const reopened = database();
    reopened.open();
    assert.equal(reopened.use((store) => store.changelog({ ...noFilter, device_id: 'site1' })).length, 200);
    assert.equal(reopened.use((store) => store.changelog({ ...noFilter, device_id: 'site2' })).length, 200);
  });

  it('reports a corrupt file clearly, keeps writes in memory, and writes them once the file is replaced', async function () {
    fs.writeFileSync(file, 'this is not an SQLite database, it is a text file that is long enough to have a header');
    const db = database();
    const states: LogDatabaseState[] = [];
    db.on('state', (state: LogDatabaseState) => states.push(state));
    db.open();
    assert.equal(db.state.status, 'corrupt');
    assert.match((db.state as { message: string }).message, /file is not a database .*move it aside/);
    db.record([change(1), change(2)]);
    assert.deepEqual(db.state, { ...db.state, status: 'corrupt', pending: 2 });
    assert.throws(() => db.use((store) => store.changelog(noFilter)), DatabaseUnavailable);
    fs.renameSync(file, `${file}.broken`);
    await until(() => db.state.status === 'open' && db.state.pending === 0);
    assert.deepEqual(db.use((store) => store.changelog(noFilter)).map((e) => e.old_value), [2, 1]);
    assert.ok(states.some((state) => state.status === 'corrupt'));
  });

  it('reports a file locked by another connection, keeps writes, and writes them when the lock goes', async function () {
    const db = database();
    db.open();
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    db.record([change(1)]);
    assert.equal(db.state.status, 'locked');
    assert.equal(db.state.pending, 1);
    assert.match((db.state as { message: string }).message, /database is locked .*another program holds it/);
    other.exec('COMMIT');
    other.close();
    await until(() => db.state.status === 'open' && db.state.pending === 0);
    assert.equal(db.use((store) => store.changelog(noFilter)).length, 1);
  });

  it('removes a lock left by a process that died mid-write, with a warning, and opens the file', function () {
    const db = database();
    db.open();
    db.record([change(1)]);
    db.close();
    // what a kill in the middle of a transaction leaves: the lock directory and a hot journal
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    other.run("INSERT INTO changelog (kind, time, source, text) VALUES ('note', 0, 'manual', 'never committed')");
    fs.cpSync(file, `${file}.copy`);
    const journal = fs.existsSync(`${file}-journal`) ? fs.readFileSync(`${file}-journal`) : undefined;
    other.exec('ROLLBACK');
    other.close();
    fs.renameSync(`${file}.copy`, file);
    if (journal) fs.writeFileSync(`${file}-journal`, journal);
    fs.mkdirSync(`${file}.lock`);
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(`${file}.lock`, old, old);
    const warnings: string[] = [];
    const reopened = database({ now: Date.now });
    reopened.on('warning', (message: string) => warnings.push(message));
    reopened.open();
    assert.equal(reopened.state.status, 'open');
    assert.match(warnings[0] ?? '', /removed the lock .* left by a process that stopped mid-write/);
    assert.deepEqual(reopened.use((store) => store.changelog(noFilter)).map((e) => e.kind), ['setting']);
  });
});
