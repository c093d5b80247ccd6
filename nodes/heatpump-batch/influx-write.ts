// heatpump-batch's own write to InfluxDB 1.x (POST /write, line protocol, precision ms; InfluxDB 2.x
// serves the same API for its v1 logins and DBRP mappings), made with the server, database and
// credentials of a node-red-contrib-influxdb `influxdb` config node set to 1.x.
// Writing here instead of through an `influxdb batch` node spares every point two deep copies (the
// runtime clones a message for each complete / catch node that reports it back) and node-influx's
// conversion: at 10,000 readings/s that was about a sixth of the runtime's CPU. No retries here:
// heatpump-batch retries, spools and replays (heatpump-batch.ts).
import http from 'node:http';
import https from 'node:https';
import { err, ok, type Result } from '../shared/result';

/** What an `influxdb` config node holds (node-red-contrib-influxdb's InfluxConfigNode). */
export interface InfluxConfigLike {
  influxdbVersion?: unknown;
  hostname?: unknown;
  port?: unknown;
  database?: unknown;
  usetls?: unknown;
  /** TLS options a `tls-config` node added (ca, cert, key, rejectUnauthorized, ...) */
  hostOptions?: unknown;
  credentials?: { username?: unknown; password?: unknown };
}

export interface InfluxTarget {
  https: boolean;
  hostname: string;
  port: number;
  database: string;
  /** `Basic ...`, or undefined when the server has no login */
  authorization: string | undefined;
  tls: https.AgentOptions;
}

/** The write target of a config node; an error for one this writer cannot use. */
export function influxTargetOf(config: InfluxConfigLike): Result<InfluxTarget, string> {
  const version = config.influxdbVersion ?? '1.x';
  if (version !== '1.x') return err(`writes through the InfluxDB 1.x API only (InfluxDB 2.x serves it to v1 logins), the server is set to ${String(version)}: set it to 1.x, or send the batches to an influxdb batch node`);
  const hostname = typeof config.hostname === 'string' ? config.hostname.trim() : '';
  if (hostname === '') return err('the InfluxDB server has no host');
  const port = Number(config.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return err(`the InfluxDB port ${JSON.stringify(config.port)} is not a port number`);
  const database = typeof config.database === 'string' ? config.database.trim() : '';
  if (database === '') return err('the InfluxDB server has no database');
  const username = typeof config.credentials?.username === 'string' ? config.credentials.username : '';
  const password = typeof config.credentials?.password === 'string' ? config.credentials.password : '';
  const authorization = username === '' ? undefined : `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const tls = typeof config.hostOptions === 'object' && config.hostOptions !== null ? (config.hostOptions as https.AgentOptions) : {};
  return ok({ https: config.usetls === true || config.usetls === 'true', hostname, port, database, authorization, tls });
}

/** InfluxDB's answer to a failed write: its reason (it names dropped points: buffer.ts); 1.x says `error`, 2.x's v1 API `message`. */
function failureOf(status: number | undefined, statusMessage: string | undefined, body: string): string {
  let reason = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string') reason = parsed.error;
    else if (typeof parsed.message === 'string') reason = parsed.message;
  } catch {
    // not JSON (a proxy's page): its text as it is
  }
  return `InfluxDB answered ${status ?? '?'} ${statusMessage ?? ''}`.trimEnd() + (reason === '' ? '' : `: ${reason.slice(0, 500)}`);
}

export class InfluxWriter {
  /**
   * kept-alive connections: a write per batch, often several a second. Not capped: a write queued
   * here behind slow ones would wait out its deadline (InfluxDB takes concurrent writes).
   */
  private readonly agent: http.Agent;
  private pending = 0;
  private closing = false;

  constructor(private readonly target: InfluxTarget) {
    this.agent = target.https ? new https.Agent({ ...target.tls, keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Writes `lines` (precision ms) into `retentionPolicy` (undefined: the database's default); rejects with InfluxDB's reason. */
  write(lines: string, retentionPolicy: string | undefined, signal?: AbortSignal): Promise<void> {
    const { target } = this;
    const query = new URLSearchParams({ db: target.database, precision: 'ms' });
    if (retentionPolicy !== undefined) query.set('rp', retentionPolicy);
    // encoded once: its length and the request both use the bytes
    const body = Buffer.from(lines, 'utf8');
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length };
    if (target.authorization !== undefined) headers.Authorization = target.authorization;
    const request = target.https ? https.request : http.request;
    this.pending += 1;
    const written = new Promise<void>((resolve, reject) => {
      const req = request({ agent: this.agent, method: 'POST', hostname: target.hostname, port: target.port, path: `/write?${query}`, headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(failureOf(res.statusCode, res.statusMessage, Buffer.concat(chunks).toString('utf8'))));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
    const settled = (): void => {
      this.pending -= 1;
      if (this.closing && this.pending === 0) this.agent.destroy();
    };
    written.then(settled, settled);
    return written;
  }

  /** Closes the connections once the writes under way have their answer. */
  close(): void {
    this.closing = true;
    if (this.pending === 0) this.agent.destroy();
  }
}
