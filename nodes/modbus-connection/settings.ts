// The connection config node's settings, checked and turned into what the client needs. Pure.
import { err, ok, type Result } from '../shared/result';
import type { BackoffOptions } from './backoff';
import type { ModbusClientOptions, ModbusEndpoint } from './modbus-client';

export interface ModbusConnectionProps {
  name?: string;
  transport?: 'tcp' | 'rtu';
  host?: string;
  port?: number | string;
  serialPort?: string;
  baudRate?: number | string;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: number | string;
  stopBits?: number | string;
  timeout?: number | string;
  timeoutUnit?: 'ms' | 's';
  retries?: number | string;
}

/** reconnect after a failed connect: 1 s, 2 s, 4 s ... at most 30 s */
export const RECONNECT: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

export const DEFAULTS = { port: 502, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, timeoutMs: 1000, retries: 2 } as const;

const integer = (value: unknown, fallback: number): number => (value === undefined || value === '' ? fallback : Number(value));

export function connectionSettings(props: ModbusConnectionProps): Result<{ endpoint: ModbusEndpoint; options: ModbusClientOptions }, string> {
  const timeout = integer(props.timeout, props.timeoutUnit === 's' ? DEFAULTS.timeoutMs / 1000 : DEFAULTS.timeoutMs);
  const timeoutMs = props.timeoutUnit === 's' ? timeout * 1000 : timeout;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 10 || timeoutMs > 60_000) return err(`time-out must be 10 ms .. 60 s, not ${String(props.timeout)}`);
  const retries = integer(props.retries, DEFAULTS.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) return err(`retries must be 0 .. 10, not ${String(props.retries)}`);
  const options = { timeoutMs, retries, reconnect: RECONNECT };

  if ((props.transport ?? 'tcp') === 'tcp') {
    const host = (props.host ?? '').trim();
    if (host === '') return err('host is missing');
    const port = integer(props.port, DEFAULTS.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return err(`port must be 1 .. 65535, not ${String(props.port)}`);
    return ok({ endpoint: { kind: 'tcp', host, port }, options });
  }
  if (props.transport !== 'rtu') return err(`transport must be tcp or rtu, not ${String(props.transport)}`);
  const serialPort = (props.serialPort ?? '').trim();
  if (serialPort === '') return err('serial port is missing');
  const baudRate = integer(props.baudRate, DEFAULTS.baudRate);
  if (!Number.isInteger(baudRate) || baudRate < 300 || baudRate > 921_600) return err(`baud rate must be 300 .. 921600, not ${String(props.baudRate)}`);
  const parity = props.parity ?? DEFAULTS.parity;
  if (!['none', 'even', 'odd'].includes(parity)) return err(`parity must be none, even or odd, not ${String(parity)}`);
  const dataBits = integer(props.dataBits, DEFAULTS.dataBits);
  if (dataBits !== 7 && dataBits !== 8) return err(`data bits must be 7 or 8, not ${String(props.dataBits)}`);
  const stopBits = integer(props.stopBits, DEFAULTS.stopBits);
  if (stopBits !== 1 && stopBits !== 2) return err(`stop bits must be 1 or 2, not ${String(props.stopBits)}`);
  return ok({ endpoint: { kind: 'rtu', serialPort, baudRate, parity, dataBits, stopBits }, options });
}
