// Config node: one Modbus TCP or RTU connection, shared by the poll nodes that name it (like core's
// mqtt-broker). It owns the one client; requests through it run one at a time.
import type { Node, NodeAPI } from 'node-red';
import { hasSerialPort, ModbusClient, SERIALPORT_MISSING } from './modbus-client';
import { connectionSettings } from './settings';
import type { ModbusConnectionDef, ModbusConnectionNode } from './types';

function init(RED: NodeAPI): void {
  function ModbusConnection(this: Node & ModbusConnectionNode, config: ModbusConnectionDef) {
    RED.nodes.createNode(this, config);
    const settings = connectionSettings(config);
    if (!settings.ok) {
      this.problem = RED._('modbus-connection.errors.bad-settings', { problem: settings.error });
      this.error(this.problem);
      return;
    }
    // said at deploy, not only when the first poll fails
    if (settings.value.endpoint.kind === 'rtu' && !hasSerialPort()) this.error(SERIALPORT_MISSING);
    const client = new ModbusClient(settings.value.endpoint, settings.value.options);
    this.modbus = client;
    this.on('close', (_removed: boolean, done: () => void) => {
      client.close().then(done, done);
    });
  }
  RED.nodes.registerType('modbus-connection', ModbusConnection);
}

export = init;
