// Where a node-red-contrib-influxdb config node's database answers. Pure.
import type { InfluxConfigLike } from './types';

/** Where InfluxDB answers /ping, from the node-red-contrib-influxdb config node; undefined: none configured. */
export function influxPingUrl(config: InfluxConfigLike | undefined): string | undefined {
  if (!config) return undefined;
  if (config.influxdbVersion === '1.8-flux' || config.influxdbVersion === '2.0') {
    // the config node keeps the 2.x URL only in its client's options
    const url = (config.client?._options?.url ?? '').trim().replace(/\/+$/, '');
    return url === '' ? undefined : `${url}/ping`;
  }
  const host = (config.hostname ?? '').trim();
  if (host === '') return undefined;
  const port = String(config.port ?? '').trim() || '8086';
  return `${config.usetls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/ping`;
}

