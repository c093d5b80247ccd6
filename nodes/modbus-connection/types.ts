import type { NodeDef } from 'node-red';
import type { ModbusReader } from './modbus-client';
import type { ModbusConnectionProps } from './settings';

export type ModbusConnectionDef = NodeDef & ModbusConnectionProps;

/** What a poll node finds with RED.nodes.getNode(connection id). */
export interface ModbusConnectionNode {
  /** undefined when the settings are invalid (the config node logged why) */
  modbus?: ModbusReader;
  /** why there is no client */
  problem?: string;
}

export function isModbusConnectionNode(value: unknown): value is ModbusConnectionNode {
  return typeof value === 'object' && value !== null && ('modbus' in value || 'problem' in value);
}
