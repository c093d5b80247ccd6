// One heat pump's polling, without Node-RED and without a clock: which registers are due, the
// block reads (with the fallback to single reads when a block is refused), the decoded reading,
// settings that changed, refused registers (named once, then left out), and the unit's presence
// with its own back-off while it does not answer. The node glue owns the timer and the client.
import type { MetricsReading } from '../shared/contract';
import { Backoff } from '../modbus-connection/backoff';
import type { ModbusFailure } from '../modbus-connection/modbus-client';
import { dueRegisters, planReads, singleReads, type ReadBlock } from './block-plan';
import { decodeBlock } from './register-decode';
import type { RegisterDef, RegisterMap, RegisterType } from './register-map';
import { changedSettings } from '../shared/setting-changes';

export interface SettingChange {
  device_id: string;
  setting: string;
  old_value: number | boolean;
  new_value: number | boolean;
  unit?: string;
  source: 'modbus';
  timestamp: number;
}

/** reads one block of the polled unit; fails with `failure` set as ModbusReadError does */
export type BlockReader = (table: RegisterType, address: number, count: number) => Promise<number[] | boolean[]>;

interface FailureLike {
  failure?: ModbusFailure;
  modbusCode?: number;
  message?: string;
}

export interface PollOutcome {
  values: Record<string, number | boolean>;
  rejected: { register: string; reason: string; raw?: number }[];
  /** registers the unit refused with an exception when read alone */
  refused: { register: RegisterDef; message: string }[];
  /** the registers read (answered, refused or rejected): their interval starts again */
  polled: string[];
  requests: number;
  /** set when the unit (or the connection) did not answer: the poll stopped there */
  failure?: { kind: ModbusFailure; message: string };
}

/**
 * Reads `blocks`; a block answered with an exception is read again one register at a time, so one
 * illegal address costs its own register only. A time-out or a lost connection ends the poll:
 * the unit is not answering, and further blocks would only wait for their time-outs too.
 */
export async function pollBlocks(blocks: readonly ReadBlock[], read: BlockReader): Promise<PollOutcome> {
  const outcome: PollOutcome = { values: {}, rejected: [], refused: [], polled: [], requests: 0 };
  const take = (block: ReadBlock, data: number[] | boolean[]) => {
    const decoded = decodeBlock(block, data);
    Object.assign(outcome.values, decoded.values);
    outcome.rejected.push(...decoded.rejected);
    outcome.polled.push(...block.registers.map((r) => r.name));
  };
  for (const block of blocks) {
    outcome.requests += 1;
    try {
      take(block, await read(block.register_type, block.address, block.count));
      continue;
    } catch (thrown) {
      const error = thrown as FailureLike;
      if (error.failure !== 'exception') return { ...outcome, failure: failureOf(error) };
      if (block.registers.length === 1) {
        outcome.refused.push({ register: block.registers[0]!, message: error.message ?? 'Modbus exception' });
        outcome.polled.push(block.registers[0]!.name);
        continue;
      }
    }
    for (const single of singleReads(block)) {
      outcome.requests += 1;
      try {
        take(single, await read(single.register_type, single.address, single.count));
      } catch (thrown) {
        const error = thrown as FailureLike;
        if (error.failure !== 'exception') return { ...outcome, failure: failureOf(error) };
        outcome.refused.push({ register: single.registers[0]!, message: error.message ?? 'Modbus exception' });
        outcome.polled.push(single.registers[0]!.name);
      }
    }
  }
  return outcome;
}

function failureOf(error: FailureLike): { kind: ModbusFailure; message: string } {
  return { kind: error.failure ?? 'disconnected', message: error.message ?? String(error) };
}

export interface PollerConfig {
  deviceId: string;
  map: RegisterMap;
  /** the poll node's interval (s): registers without their own interval_s, and the first back-off step */
  intervalS: number;
  info: { name?: string; location?: string; model?: string };
  /** longest wait between attempts at a unit that does not answer (ms); default 5 min */
  maxBackoffMs?: number;
}

export interface PollPlan {
  blocks: ReadBlock[];
  registers: number;
}

export interface PollEvents {
  reading?: MetricsReading;
  presence?: 'online' | 'offline';
  settings: SettingChange[];
  /** registers refused for the first time: a warning each (left out from now on) */
  newlyRefused: { register: string; message: string }[];
  /** values left out (NaN, out of range, unavailable) for a reason not seen before for that register: a warning each */
  newlyRejected: { register: string; reason: string; raw?: number }[];
  /** while the unit does not answer: ms until the next attempt */
  retryInMs?: number;
}

export interface PollerCounters {
  polls: number;
  failures: number;
  skipped: number;
  requests: number;
  /** values left out: NaN / infinite, or outside the register's min..max */
  rejected: number;
}

export class Poller {
  private readonly lastPolled = new Map<string, number>();
  private readonly refused = new Set<string>();
  /** `register reason` pairs already warned about */
  private readonly rejectedSeen = new Set<string>();
  private settingValues: Record<string, number | boolean> = {};
  private readonly backoff: Backoff;
  private presence: 'online' | 'offline' | undefined;
  readonly counters: PollerCounters = { polls: 0, failures: 0, skipped: 0, requests: 0, rejected: 0 };

  constructor(private readonly config: PollerConfig) {
    this.backoff = new Backoff({ initialMs: config.intervalS * 1000, maxMs: config.maxBackoffMs ?? 300_000 });
  }

  /** ms until the unit may be asked again (0 = now); > 0 only while it does not answer */
  waitMs(now: number): number {
    return this.backoff.waitMs(now);
  }

  get online(): boolean | undefined {
    return this.presence === undefined ? undefined : this.presence === 'online';
  }

  /** registers read on every full poll (the map less the refused ones) */
  get activeRegisters(): RegisterDef[] {
    return this.config.map.registers.filter((r) => !this.refused.has(r.name));
  }

  /** The block reads due at `now` (none while backing off, or when no register is due). */
  plan(now: number): PollPlan {
    if (this.backoff.waitMs(now) > 0) return { blocks: [], registers: 0 };
    const due = dueRegisters(this.activeRegisters, now, this.lastPolled, this.config.intervalS);
    return { blocks: planReads(due), registers: due.length };
  }

  /** Takes the outcome of a poll started at `startedAt`, finished at `now`. */
  complete(startedAt: number, now: number, outcome: PollOutcome): PollEvents {
    this.counters.polls += 1;
    this.counters.requests += outcome.requests;
    this.counters.rejected += outcome.rejected.length;
    for (const name of outcome.polled) this.lastPolled.set(name, startedAt);
    const events: PollEvents = { settings: [], newlyRefused: [], newlyRejected: [] };
    for (const rejected of outcome.rejected) {
      const key = `${rejected.register} ${rejected.reason}`;
      if (this.rejectedSeen.has(key)) continue;
      this.rejectedSeen.add(key);
      events.newlyRejected.push(rejected);
    }
    for (const { register, message } of outcome.refused) {
      if (this.refused.has(register.name)) continue;
      this.refused.add(register.name);
      events.newlyRefused.push({ register: register.name, message });
    }
    if (outcome.failure) {
      this.counters.failures += 1;
      events.retryInMs = this.backoff.fail(now);
      if (this.presence !== 'offline') events.presence = this.presence = 'offline';
      return events;
    }
    this.backoff.succeed();
    if (this.presence !== 'online') events.presence = this.presence = 'online';
    const names = Object.keys(outcome.values);
    if (names.length > 0) events.reading = this.reading(startedAt, outcome.values);
    events.settings = this.settingChanges(startedAt, outcome.values);
    return events;
  }

  private reading(timestamp: number, metrics: Record<string, number | boolean>): MetricsReading {
    const units: Record<string, string> = {};
    for (const def of this.config.map.registers) if (def.unit && def.name in metrics) units[def.name] = def.unit;
    const info = { ...this.config.info, source: 'modbus' };
    return { device_id: this.config.deviceId, timestamp, metrics, units, info };
  }

  private settingChanges(timestamp: number, values: Record<string, number | boolean>): SettingChange[] {
    const current: Record<string, number | boolean> = {};
    const units: Record<string, string> = {};
    for (const def of this.config.map.registers) {
      const value = values[def.name];
      if (!def.setting || value === undefined) continue;
      current[def.name] = value;
      if (def.unit) units[def.name] = def.unit;
    }
    const { changes, known } = changedSettings(this.settingValues, current, units);
    this.settingValues = known;
    return changes.map((change): SettingChange => ({ device_id: this.config.deviceId, ...change, source: 'modbus', timestamp }));
  }
}
