// The Node-RED node both MQTT gateway decoders are (heishamon-decode, espaltherma-decode): the same
// configuration checks, fleet lookup, input and close handling around a decoder of their own.
// Glue, not pure: the node-red import is for types only.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { errorOf, failInput, refuseConfiguration } from './errors';
import { fleetOf, type FleetLink } from './fleet-link';
import { GatewayGlue, quietMsOf, type Done, type GatewayDecoder, type Send } from './gateway-glue';
import { SettingTracker } from './gateway-settings';
import { loadState, resolveStore, saveState } from './persist';
import { clearStatus } from './status';
import { installReceiveJournal } from './mqtt-receive-journal';

/** node context key of the last setting values per device */
const SETTINGS_KEY = 'settings';

const DEFAULT_QUIET_S = 5;

export interface GatewayNodeDef extends NodeDef {
  base?: string;
  deviceId?: string;
  /** seconds without a value that end a cycle */
  quiet?: string;
  fleet?: string;
  /** context store of the last setting values (decoders with setting changes); blank: the default store */
  store?: string;
}

/** Registers `type`; `decoderOf` makes the node's decoder from its configuration, or says what is wrong with it. */
export function registerGatewayNode<Def extends GatewayNodeDef>(RED: NodeAPI, type: string, decoderOf: (config: Def) => GatewayDecoder | { problem: string }): void {
  installReceiveJournal(RED);
  function GatewayNode(this: Node, config: Def) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = (key: string, params?: Record<string, string | number>): string => RED._(`${type}.${key}`, params);
    const decoder = decoderOf(config);
    const quietMs = quietMsOf(config.quiet, DEFAULT_QUIET_S);
    if ('problem' in decoder || quietMs === undefined) {
      const text = t('errors.config', { reason: 'problem' in decoder ? decoder.problem : t('errors.quiet', { value: config.quiet ?? '' }) });
      refuseConfiguration(node, text, t('status.config-error'));
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
    function settingTracker(settings: NonNullable<GatewayDecoder['settings']>): SettingTracker {
      const { store, fallback } = resolveStore(RED.settings, config.store);
      // the settings are then forgotten at a restart, and a change made meanwhile goes unrecorded: say so once
      if (fallback) node.warn(t('errors.no-store', { store: config.store ?? '' }));
      const persisted = { load: () => loadState(node.context(), SETTINGS_KEY, store), save: (known: unknown) => saveState(node.context(), SETTINGS_KEY, known, store) };
      return new SettingTracker(settings.changes, settings.source, persisted, (action, error) => node.warn(t(`errors.settings-${action}`, { reason: errorOf(error).message })));
    }
    const glue = new GatewayGlue(
      node,
      decoder,
      { badInput: t('status.bad-input'), reading: (count) => t('status.reading', { count }), collecting: t('status.collecting'), offline: t('status.offline') },
      quietMs,
      linkedFleet,
      decoder.settings === undefined ? undefined : settingTracker(decoder.settings),
    );
    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        glue.input(msg, send, done);
      } catch (error) {
        failInput(node, done, t('status.bad-input'), errorOf(error));
      }
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      void glue.close().then(() => {
        clearStatus(node);
        done();
      });
    });
  }
  RED.nodes.registerType(type, GatewayNode);
}
