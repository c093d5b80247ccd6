// Node-RED glue for heishamon-decode: HeishaMon's MQTT messages (an mqtt in on <base>/#) to
// MetricsReadings on output 1 and presence changes on output 2. Decoding lives in decode.ts, the
// shared timer, presence and fleet handling in ../shared/gateway-glue.ts.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { errorOf, failInput } from '../shared/errors';
import { fleetOf, type FleetLink } from '../shared/fleet-link';
import { GatewayGlue, quietMsOf, type Done, type Send } from '../shared/gateway-glue';
import { clearStatus, setStatus } from '../shared/status';
import { DEFAULT_BASE, HeishamonDecoder } from './decode';

const TYPE = 'heishamon-decode';
const DEFAULT_QUIET_S = 5;

interface HeishamonDecodeDef extends NodeDef {
  base?: string;
  deviceId?: string;
  raw?: boolean;
  /** seconds without a value that end a cycle */
  quiet?: string;
  fleet?: string;
}

function init(RED: NodeAPI): void {
  function HeishamonDecodeNode(this: Node, config: HeishamonDecodeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = (key: string, params?: Record<string, string | number>): string => RED._(`${TYPE}.${key}`, params);
    const options = { base: (config.base ?? DEFAULT_BASE).trim(), deviceId: (config.deviceId ?? '').trim(), raw: config.raw === true };
    const quietMs = quietMsOf(config.quiet, DEFAULT_QUIET_S);
    const problem = HeishamonDecoder.check(options) ?? (quietMs === undefined ? t('errors.quiet', { value: config.quiet ?? '' }) : undefined);
    if (problem !== undefined) {
      node.error(t('errors.config', { reason: problem }));
      setStatus(node, 'error', t('status.config-error'));
      node.on('input', (_msg: NodeMessageInFlow, _send: Send, done: Done) => done(new Error(t('errors.config', { reason: problem }))));
      return;
    }
    // config nodes may start after this one: the fleet is looked up when a reading is reported
    let fleet: FleetLink | undefined;
    let fleetMissingLogged = false;
    const linkedFleet = (): FleetLink | undefined => {
      fleet ??= fleetOf(RED.nodes, config.fleet);
      if (fleet === undefined && config.fleet && !fleetMissingLogged) {
        fleetMissingLogged = true;
        node.warn(t('errors.no-fleet', { id: config.fleet }));
      }
      return fleet;
    };
    const glue = new GatewayGlue(
      node,
      new HeishamonDecoder(options),
      { badInput: t('status.bad-input'), reading: (count) => t('status.reading', { count }), collecting: t('status.collecting'), offline: t('status.offline') },
      quietMs!,
      linkedFleet,
    );
    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        glue.input(msg, send, done);
      } catch (error) {
        failInput(node, done, t('status.bad-input'), errorOf(error));
      }
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      glue.close();
      clearStatus(node);
      done();
    });
  }
  RED.nodes.registerType(TYPE, HeishamonDecodeNode);
}

export = init;
