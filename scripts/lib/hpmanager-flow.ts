// An HPManager user's heatpumps.yml + registers.yml as a Node-RED flow to import: one
// modbus-connection per distinct TCP endpoint or serial bus, one modbus-poll per enabled heat pump
// (its registers.yml pasted in, its model chosen), their readings and presence linked to the
// ingest tab's "metrics readings" and "source presence". Pure: text in, flow nodes out.
import { err, ok, type Result } from '../../nodes/shared/result';
import { parseHeatpumpsYaml, parseRegistersYaml, unknownModels, type HeatpumpEntry } from '../../nodes/modbus-poll/register-map';
import type { FlowNode } from './shipped-flows';

/** the ingest tab's link ins (flows/10-ingest.json) */
export const METRICS_LINK_IN = 'hp_in_metrics';
export const PRESENCE_LINK_IN = 'hp_in_source_presence';

export interface HpmanagerFlowOptions {
  /** poll interval (s); HPManager keeps it in collector.yml */
  intervalS?: number;
  /** id of the heatpump-fleet config node to report into; blank: none */
  fleet?: string;
}

const idPart = (text: string) => text.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();

function connectionKey(entry: HeatpumpEntry): string {
  const m = entry.modbus;
  return m.type === 'tcp' ? `tcp ${m.host}:${m.port}` : `rtu ${m.serial_port}`;
}

function connectionNode(id: string, entry: HeatpumpEntry): FlowNode {
  const m = entry.modbus;
  return {
    id,
    type: 'modbus-connection',
    name: connectionKey(entry),
    transport: m.type,
    host: m.host ?? '',
    port: m.port ?? 502,
    serialPort: m.serial_port ?? '',
    baudRate: m.baudrate ?? 9600,
    parity: m.parity ?? 'none',
    dataBits: m.bytesize ?? 8,
    stopBits: m.stopbits ?? 1,
    timeout: m.timeout_s,
    timeoutUnit: 's',
    retries: m.retries,
  };
}

export function hpmanagerFlow(heatpumpsYml: string, registersYml: string, options: HpmanagerFlowOptions = {}): Result<FlowNode[], string[]> {
  const heatpumps = parseHeatpumpsYaml(heatpumpsYml);
  const maps = parseRegistersYaml(registersYml);
  const problems = [...(heatpumps.ok ? [] : heatpumps.error), ...(maps.ok ? [] : maps.error)];
  if (!heatpumps.ok || !maps.ok) return err(problems.map((p) => p.message));
  const enabled = heatpumps.value.filter((entry) => entry.enabled);
  const unknown = unknownModels(enabled, maps.value);
  if (unknown.length > 0) return err(unknown.map((p) => p.message));

  const tab = 'hpm_tab';
  const nodes: FlowNode[] = [
    { id: tab, type: 'tab', label: 'HPManager heat pumps', disabled: false, info: 'Generated from HPManager heatpumps.yml and registers.yml.' },
    { id: 'hpm_readings_out', type: 'link out', z: tab, name: 'metrics readings', mode: 'link', links: [METRICS_LINK_IN], x: 560, y: 60 },
    { id: 'hpm_presence_out', type: 'link out', z: tab, name: 'source presence', mode: 'link', links: [PRESENCE_LINK_IN], x: 560, y: 120 },
  ];
  const connections = new Map<string, string>();
  enabled.forEach((entry, index) => {
    const key = connectionKey(entry);
    let connection = connections.get(key);
    if (!connection) {
      connection = `hpm_conn_${connections.size + 1}`;
      connections.set(key, connection);
      nodes.push({ ...connectionNode(connection, entry), z: tab });
    }
    nodes.push({
      id: `hpm_poll_${idPart(entry.id)}`,
      type: 'modbus-poll',
      z: tab,
      name: '',
      connection,
      deviceId: entry.id,
      unitId: entry.modbus.unit_id,
      interval: options.intervalS ?? 10,
      mapSource: 'yaml',
      profile: '',
      yaml: registersYml,
      file: '',
      model: entry.model,
      hpName: entry.name ?? '',
      location: entry.location ?? '',
      hpModel: '',
      fleet: options.fleet ?? '',
      x: 240,
      y: 60 + index * 60,
      wires: [['hpm_readings_out'], ['hpm_presence_out'], []],
    });
  });
  return ok(nodes);
}
