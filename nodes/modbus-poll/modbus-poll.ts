// One heat pump on Modbus: polls its register map through a modbus-connection on a timer and
// sends the readings, presence changes and setting changes. The polling itself is poller.ts.
import fs from 'node:fs';
import type { Node, NodeAPI } from 'node-red';
import { fleetOf } from '../shared/fleet-link';
import { deviceIdProblem } from '../shared/device-id';
import { clearStatus, setStatus } from '../shared/status';
import { isModbusConnectionNode } from '../modbus-connection/types';
import { resolveMap } from './map-source';
import { Poller, pollBlocks, type PollEvents, type PollOutcome } from './poller';
import { loadProfile, PROFILES } from './profiles';
import type { ModbusPollDef, PresenceMsg, ReadingMsg, SettingMsg } from './types';

const DEFAULT_INTERVAL_S = 10;

function init(RED: NodeAPI): void {
  function ModbusPoll(this: Node, config: ModbusPollDef) {
    RED.nodes.createNode(this, config);
    const refuse = (statusText: string, message: string) => {
      setStatus(this, 'error', statusText);
      this.error(message);
    };

    const deviceId = (config.deviceId ?? '').trim();
    const idProblem = deviceIdProblem(deviceId);
    if (idProblem) return refuse(RED._('modbus-poll.status.bad-config'), RED._('modbus-poll.errors.device-id', { problem: idProblem }));
    const unitId = Number(config.unitId ?? 1);
    if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255) return refuse(RED._('modbus-poll.status.bad-config'), RED._('modbus-poll.errors.unit-id', { value: String(config.unitId) }));
    const intervalS = config.interval === undefined || config.interval === '' ? DEFAULT_INTERVAL_S : Number(config.interval);
    if (!Number.isFinite(intervalS) || intervalS < 0.1 || intervalS > 86_400) return refuse(RED._('modbus-poll.status.bad-config'), RED._('modbus-poll.errors.interval', { value: String(config.interval) }));

    const map = resolveMap(
      { kind: config.mapSource ?? 'profile', profile: config.profile, yaml: config.yaml, file: config.file, model: config.model },
      { loadProfile, readFile: (file) => fs.readFileSync(file) },
    );
    if (!map.ok) {
      const first = map.error[0];
      return refuse(RED._('modbus-poll.status.bad-map', { register: first?.register ?? '' }), RED._('modbus-poll.errors.bad-map', { problems: map.error.map((p) => p.message).join('; ') }));
    }

    const connection = RED.nodes.getNode(config.connection ?? '') as unknown;
    if (!isModbusConnectionNode(connection)) return refuse(RED._('modbus-poll.status.no-connection'), RED._('modbus-poll.errors.no-connection'));
    const modbus = connection.modbus;
    if (!modbus) return refuse(RED._('modbus-poll.status.no-connection'), connection.problem ?? RED._('modbus-poll.errors.no-connection'));

    const info: { name?: string; location?: string; model?: string } = { model: config.hpModel?.trim() || map.value.model };
    if (config.hpName?.trim()) info.name = config.hpName.trim();
    if (config.location?.trim()) info.location = config.location.trim();
    const poller = new Poller({ deviceId, map: map.value, intervalS, info });
    const fleet = fleetOf(RED.nodes, config.fleet);
    // registers with a shorter interval of their own need a faster tick
    const tickMs = Math.min(intervalS, ...map.value.registers.map((r) => r.interval_s ?? intervalS)) * 1000;
    let polling = false;
    let closed = false;
    let unavailableTold = false;

    const report = (events: PollEvents, registers: number, requests: number, failure: PollOutcome['failure']) => {
      for (const refused of events.newlyRefused) this.warn(RED._('modbus-poll.warnings.refused', { register: refused.register, message: refused.message }));
      for (const left of events.newlyRejected) {
        this.warn(RED._('modbus-poll.warnings.left-out', { register: left.register, reason: RED._(`modbus-poll.reasons.${left.reason}`), raw: String(left.raw ?? '') }));
      }
      const reading: ReadingMsg | null = events.reading ? { payload: events.reading } : null;
      const presence: PresenceMsg | null = events.presence ? { topic: deviceId, payload: events.presence } : null;
      const settings: SettingMsg[] = events.settings.map((change) => ({ payload: change }));
      // the fleet's own copy: it may apply it later (before its saved state is restored), and a flow may change msg.payload
      if (events.reading) fleet?.metrics(structuredClone(events.reading));
      if (reading || presence || settings.length > 0) this.send([reading, presence, settings.length > 0 ? settings : null]);
      if (failure?.kind === 'unavailable') {
        // not the unit: the runtime lacks what the connection needs (serialport for RTU)
        setStatus(this, 'error', RED._('modbus-poll.status.unavailable'));
        if (!unavailableTold) this.error(failure.message);
        unavailableTold = true;
      } else if (events.retryInMs !== undefined) {
        setStatus(this, 'error', RED._('modbus-poll.status.offline', { unit: String(unitId), seconds: String(Math.round(events.retryInMs / 1000)) }));
      } else if (registers > 0) {
        setStatus(this, 'ok', RED._('modbus-poll.status.polled', { registers: String(registers), requests: String(requests), time: new Date().toLocaleTimeString('en-GB') }));
      }
    };

    const tick = () => {
      if (polling) {
        // said once: the interval is shorter than a poll takes (many requests, or time-outs and retries)
        if (poller.counters.skipped === 0) this.warn(RED._('modbus-poll.warnings.skipped', { interval: String(intervalS) }));
        poller.counters.skipped += 1;
        return;
      }
      const startedAt = Date.now();
      const plan = poller.plan(startedAt);
      if (plan.blocks.length === 0) return;
      polling = true;
      pollBlocks(plan.blocks, (table, address, count) => modbus.read(unitId, table, address, count))
        .then((outcome) => {
          if (closed) return;
          report(poller.complete(startedAt, Date.now(), outcome), plan.registers - outcome.refused.length, outcome.requests, outcome.failure);
        })
        .catch((thrown: unknown) => {
          if (!closed) refuse(RED._('common.status.error'), String(thrown));
        })
        .finally(() => {
          polling = false;
        });
    };

    setStatus(this, 'busy', RED._('modbus-poll.status.starting', { registers: String(map.value.registers.length) }));
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, tickMs);
    this.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearTimeout(first);
      clearInterval(timer);
      clearStatus(this);
      done();
    });
  }

  RED.nodes.registerType('modbus-poll', ModbusPoll);
  // the editor's profile list and its "check map" button
  RED.httpAdmin.get('/modbus-poll/profiles', RED.auth.needsPermission('modbus-poll.read'), (_req, res) => {
    res.json(PROFILES);
  });
  RED.httpAdmin.post('/modbus-poll/check', RED.auth.needsPermission('modbus-poll.write'), (req, res) => {
    const body = (req.body ?? {}) as ModbusPollDef;
    const map = resolveMap(
      { kind: body.mapSource ?? 'profile', profile: body.profile, yaml: body.yaml, file: body.file, model: body.model },
      { loadProfile, readFile: (file) => fs.readFileSync(file) },
    );
    res.json(map.ok ? { ok: true, model: map.value.model, registers: map.value.registers.length } : { ok: false, problems: map.error.map((p) => p.message) });
  });
}

export = init;
