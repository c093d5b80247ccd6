// Idempotent InfluxDB 1.x set-up over the v1 HTTP API: database, retention policies and the
// continuous queries that keep hourly and daily aggregates (docs/CONTRACTS.md "Storage contract"),
// a one-time copy of performance figures an older version wrote to `raw` into their own policies,
// and, given admin credentials, least-privilege logins for Node-RED: a user that may only write
// the database and one that may only read it. InfluxDB 2.x gets the same layout from
// docker/influxdb/init/ (buckets + DBRP mappings, write-only and read-only v1 users and tokens).
import { STATE_FIELDS } from '../../nodes/shared/contract';
import { DEFAULT_RETENTION_POLICY, RETENTION_POLICY_BY_MEASUREMENT } from '../../nodes/shared/retention';

export interface InfluxConnection {
  url: string;
  username?: string;
  password?: string;
  token?: string;
}

export interface Login {
  username: string;
  password: string;
}

export interface SetupOptions extends InfluxConnection {
  /** default `heatpump` */
  database?: string;
  /** users to create or update with exactly WRITE / READ on the database (needs an admin connection) */
  writer?: Login;
  reader?: Login;
}

/** The logins `npm run db:setup` works with, from the environment (README "Configuration"). */
export function setupOptionsFromEnv(env: Record<string, string | undefined>): SetupOptions {
  const login = (prefix: string): Login | undefined => {
    const username = env[`${prefix}_USER`]?.trim();
    if (!username) return undefined;
    const password = env[`${prefix}_PASSWORD`] ?? '';
    if (password === '') throw new Error(`${prefix}_USER is set but ${prefix}_PASSWORD is not`);
    return { username, password };
  };
  // the set-up needs an admin; without INFLUXDB_ADMIN_USER the shared login (INFLUXDB_USER) is tried
  const admin = login('INFLUXDB_ADMIN');
  return {
    url: env.INFLUXDB_URL || 'http://localhost:8086',
    username: admin?.username ?? (env.INFLUXDB_USER || undefined),
    password: admin?.password ?? (env.INFLUXDB_PASSWORD || undefined),
    token: env.INFLUXDB_TOKEN || undefined,
    database: env.INFLUXDB_DATABASE || 'heatpump',
    writer: login('INFLUXDB_WRITE'),
    reader: login('INFLUXDB_READ'),
  };
}

/** InfluxQL quoting: identifiers in double quotes, strings in single quotes, backslash escapes. */
const identifier = (name: string) => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export interface RetentionPolicySpec {
  name: string;
  /** InfluxQL duration literal */
  duration: string;
  /** the same duration as SHOW RETENTION POLICIES prints it */
  shown: string;
  isDefault: boolean;
  /** the shard group duration (InfluxQL literal and as shown) when not InfluxDB's default for the duration */
  shards?: { duration: string; shown: string };
}

export const RETENTION_POLICIES: readonly RetentionPolicySpec[] = [
  // InfluxDB would cut 30 days into daily shards; a read of a device's last 30 days then opens 30
  // shards (each field's cursor in each), ~5 times slower than over 5 weekly ones. The price: a
  // shard is dropped once all of it is older than 30 days, so raw data stays 30 to 37 days.
  { name: 'raw', duration: '30d', shown: '720h0m0s', isDefault: true, shards: { duration: '7d', shown: '168h0m0s' } },
  { name: 'hourly', duration: '52w', shown: '8736h0m0s', isDefault: false },
  { name: 'daily', duration: 'INF', shown: '0s', isDefault: false },
];

export const MEASUREMENT = 'sensor_reading';

/** mean(*) skips the boolean state fields: the aggregates keep each one's last state as last_<field>. */
const LAST_STATES = STATE_FIELDS.map((field) => `last("${field}") AS "last_${field}"`).join(', ');

/**
 * The aggregation both continuous queries run, and a manual backfill with a `where` time range.
 * Both read raw data: min/max/mean of raw points are exact, a daily mean of hourly means is not
 * (hours with fewer readings would weigh as much as full ones).
 */
export function aggregateSelect(database: string, target: 'hourly' | 'daily', where = ''): string {
  const interval = target === 'hourly' ? '1h' : '1d';
  return (
    `SELECT mean(*), min(*), max(*), ${LAST_STATES} INTO "${database}"."${target}"."${MEASUREMENT}" ` +
    `FROM "${database}"."raw"."${MEASUREMENT}"${where ? ` WHERE ${where}` : ''} GROUP BY time(${interval}), *`
  );
}

export function continuousQueries(database: string): { name: string; statement: string }[] {
  return (['hourly', 'daily'] as const).map((target) => {
    const name = `cq_${target}`;
    return {
      name,
      statement: `CREATE CONTINUOUS QUERY "${name}" ON "${database}" BEGIN ${aggregateSelect(database, target)} END`,
    };
  });
}

interface QueryResponse {
  results?: {
    error?: string;
    series?: { name?: string; tags?: Record<string, string>; columns: string[]; values?: unknown[][] }[];
  }[];
  error?: string;
}

function authHeaders(conn: InfluxConnection): Record<string, string> {
  if (conn.token) return { Authorization: `Token ${conn.token}` };
  if (conn.username) {
    const basic = Buffer.from(`${conn.username}:${conn.password ?? ''}`).toString('base64');
    return { Authorization: `Basic ${basic}` };
  }
  return {};
}

/** Runs InfluxQL through POST /query; throws with InfluxDB's own message on any error. */
export async function influxQuery(conn: InfluxConnection, q: string, db?: string): Promise<QueryResponse> {
  const body = new URLSearchParams({ q });
  if (db) body.set('db', db);
  const res = await fetch(`${conn.url.replace(/\/$/, '')}/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...authHeaders(conn) },
    body,
  });
  const text = await res.text();
  let parsed: QueryResponse;
  try {
    parsed = JSON.parse(text) as QueryResponse;
  } catch {
    throw new Error(`InfluxDB ${res.status} for "${q}": ${text.slice(0, 200)}`);
  }
  const error = parsed.error ?? parsed.results?.find((r) => r.error)?.error;
  if (!res.ok || error) throw new Error(`InfluxDB ${res.status} for "${q}": ${error ?? text.slice(0, 200)}`);
  return parsed;
}

/** Rows of the first series as objects keyed by column. */
export function rowsOf(response: QueryResponse): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const series of response.results?.[0]?.series ?? []) {
    for (const values of series.values ?? []) {
      rows.push(Object.fromEntries(series.columns.map((column, i) => [column, values[i]])));
    }
  }
  return rows;
}

/** InfluxDB prints CQs with its own quoting and spacing; compare them without either. */
function normalizeQuery(q: string): string {
  return q.replace(/"/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The server's version from /ping (e.g. `1.6.7~rc0`, `v2.7.10`), or '' when not reported. */
export async function influxVersion(conn: InfluxConnection): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${conn.url.replace(/\/$/, '')}/ping`, { headers: authHeaders(conn) });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`cannot reach InfluxDB at ${conn.url}: ${cause}`);
  }
  return res.headers.get('x-influxdb-version') ?? '';
}

export interface SetupReport {
  database: string;
  /** statements that changed something; empty when everything was already in place */
  actions: string[];
}

/** Whether InfluxDB accepts this login (a query that any user may run). */
async function loginWorks(url: string, login: Login): Promise<boolean> {
  try {
    await influxQuery({ url, ...login }, 'SHOW DATABASES');
    return true;
  } catch (err) {
    if (err instanceof Error && /authorization failed|authentication/.test(err.message)) return false;
    throw err;
  }
}

const HOUR_MS = 3_600_000;
const RAW_RETENTION_DAYS = 30;

/** Re-aggregates every complete hour raw data still holds, a day per query to bound influxd's memory. */
async function backfillHourly(conn: InfluxConnection, database: string, actions: string[]): Promise<void> {
  const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  for (let day = 0; day < RAW_RETENTION_DAYS; day++) {
    const to = end - day * 24 * HOUR_MS;
    await influxQuery(conn, aggregateSelect(database, 'hourly', `time >= ${to - 24 * HOUR_MS}ms AND time < ${to}ms`));
  }
  actions.push(`backfilled "${database}"."hourly" from the last ${RAW_RETENTION_DAYS} days of raw data`);
}

/** Series key of a row of `GROUP BY *`: its tags, in a stable order. */
const seriesKey = (tags: Record<string, string> | undefined): string => JSON.stringify(Object.entries(tags ?? {}).sort(([a], [b]) => a.localeCompare(b)));

/** The newest point's time (ms) of each series of a measurement in a policy. */
async function newestPerSeries(conn: InfluxConnection, database: string, policy: string, measurement: string): Promise<Map<string, { tags: Record<string, string>; newest: number }>> {
  const response = await influxQuery(conn, `SELECT * FROM "${database}"."${policy}"."${measurement}" GROUP BY * ORDER BY time DESC LIMIT 1`);
  const newest = new Map<string, { tags: Record<string, string>; newest: number }>();
  for (const series of (response.results?.[0]?.series ?? []) as { tags?: Record<string, string>; columns: string[]; values?: unknown[][] }[]) {
    const time = series.values?.[0]?.[series.columns.indexOf('time')];
    if (typeof time === 'string') newest.set(seriesKey(series.tags), { tags: series.tags ?? {}, newest: Date.parse(time) });
  }
  return newest;
}

/**
 * Performance figures written to `raw` before they had policies of their own (shared/retention.ts)
 * would age out after 30 days: each series with points newer in `raw` than in its own policy is
 * copied there (same series and timestamps: a copy again would overwrite, not duplicate). Once
 * copied, a rerun finds nothing newer and copies nothing.
 */
async function copyToOwnPolicies(conn: InfluxConnection, database: string, actions: string[]): Promise<void> {
  for (const [measurement, policy] of Object.entries(RETENTION_POLICY_BY_MEASUREMENT)) {
    const raw = await newestPerSeries(conn, database, DEFAULT_RETENTION_POLICY, measurement);
    if (raw.size === 0) continue;
    const kept = await newestPerSeries(conn, database, policy, measurement);
    let written = 0;
    for (const [key, { tags, newest }] of raw) {
      if ((kept.get(key)?.newest ?? -Infinity) >= newest) continue;
      const where = Object.entries(tags).map(([tag, value]) => `${identifier(tag)} = ${literal(value)}`);
      const copy = `SELECT * INTO "${database}"."${policy}"."${measurement}" FROM "${database}"."${DEFAULT_RETENTION_POLICY}"."${measurement}"${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY *`;
      written += Number(rowsOf(await influxQuery(conn, copy))[0]?.written ?? 0);
    }
    if (written > 0) actions.push(`copied ${written} ${measurement} points from "${DEFAULT_RETENTION_POLICY}" to "${policy}"`);
  }
}

export async function setupInfluxDb(options: SetupOptions): Promise<SetupReport> {
  const database = options.database ?? 'heatpump';
  const actions: string[] = [];
  /** `shown` instead of the statement in the report: never a password */
  const run = async (q: string, shown = q) => {
    await influxQuery(options, q);
    actions.push(shown);
  };

  const databases = rowsOf(await influxQuery(options, 'SHOW DATABASES')).map((row) => row.name);
  if (!databases.includes(database)) await run(`CREATE DATABASE "${database}"`);

  const policies = rowsOf(await influxQuery(options, `SHOW RETENTION POLICIES ON "${database}"`));
  for (const spec of RETENTION_POLICIES) {
    const existing = policies.find((row) => row.name === spec.name);
    const shards = spec.shards ? ` SHARD DURATION ${spec.shards.duration}` : '';
    const clause = `ON "${database}" DURATION ${spec.duration} REPLICATION 1${shards}${spec.isDefault ? ' DEFAULT' : ''}`;
    if (!existing) {
      await run(`CREATE RETENTION POLICY "${spec.name}" ${clause}`);
    } else if (existing.duration !== spec.shown || (spec.isDefault && existing.default !== true) || (spec.shards && existing.shardGroupDuration !== spec.shards.shown)) {
      // a changed shard duration applies to the shards created from now on
      await run(`ALTER RETENTION POLICY "${spec.name}" ${clause}`);
    }
  }

  const shownQueries = new Map<string, string>();
  const cqResponse = await influxQuery(options, 'SHOW CONTINUOUS QUERIES');
  for (const series of cqResponse.results?.[0]?.series ?? []) {
    if (series.name !== database) continue;
    const nameAt = series.columns.indexOf('name');
    const queryAt = series.columns.indexOf('query');
    for (const values of series.values ?? []) shownQueries.set(String(values[nameAt]), String(values[queryAt]));
  }
  for (const cq of continuousQueries(database)) {
    const shown = shownQueries.get(cq.name);
    if (shown !== undefined && normalizeQuery(shown) === normalizeQuery(cq.statement)) continue;
    if (shown !== undefined) await run(`DROP CONTINUOUS QUERY "${cq.name}" ON "${database}"`);
    await run(cq.statement);
    // Readings windows read the hourly aggregates: a changed aggregation (such as the added last_
    // states) is redone over the raw retention, or older windows would miss the new fields.
    if (shown !== undefined && cq.name === 'cq_hourly') await backfillHourly(options, database, actions);
  }
  await copyToOwnPolicies(options, database, actions);

  const wanted: [Login | undefined, 'WRITE' | 'READ'][] = [
    [options.writer, 'WRITE'],
    [options.reader, 'READ'],
  ];
  if (options.writer && options.writer.username === options.reader?.username) {
    throw new Error(`the writer and the reader must be two users (both are "${options.writer.username}")`);
  }
  for (const [login, privilege] of wanted) {
    if (!login) continue;
    const user = identifier(login.username);
    const users = rowsOf(await influxQuery(options, 'SHOW USERS'));
    const existing = users.find((row) => row.user === login.username);
    if (!existing) {
      await run(`CREATE USER ${user} WITH PASSWORD ${literal(login.password)}`, `CREATE USER ${user} WITH PASSWORD '…'`);
    } else {
      if (existing.admin === true) await run(`REVOKE ALL PRIVILEGES FROM ${user}`);
      if (!(await loginWorks(options.url, login))) await run(`SET PASSWORD FOR ${user} = ${literal(login.password)}`, `SET PASSWORD FOR ${user} = '…'`);
    }
    const grant = rowsOf(await influxQuery(options, `SHOW GRANTS FOR ${user}`)).find((row) => row.database === database);
    if (grant?.privilege === privilege) continue;
    if (grant && grant.privilege !== 'NO PRIVILEGES') await run(`REVOKE ALL ON "${database}" FROM ${user}`);
    await run(`GRANT ${privilege} ON "${database}" TO ${user}`);
  }
  return { database, actions };
}
