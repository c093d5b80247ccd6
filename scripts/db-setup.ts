// `npm run db:setup`: applies the InfluxDB 1.x layout (database, retention policies, continuous
// queries) to INFLUXDB_URL. Safe to run again: only what is missing or different changes.
import { influxVersion, setupInfluxDb } from './lib/influx-setup';

async function main(): Promise<void> {
  const url = process.env.INFLUXDB_URL || 'http://localhost:8086';
  const connection = {
    url,
    username: process.env.INFLUXDB_USER || undefined,
    password: process.env.INFLUXDB_PASSWORD || undefined,
    token: process.env.INFLUXDB_TOKEN || undefined,
  };
  const version = await influxVersion(connection);
  if (/^v?[23]\./.test(version)) {
    console.log(
      `InfluxDB ${version} at ${url}: buckets, DBRP mappings and downsampling tasks come from ` +
        'docker/influxdb/init/10-heatpump.sh (run by the influxdb container on first start); nothing to do here.',
    );
    return;
  }
  const report = await setupInfluxDb({ ...connection, database: process.env.INFLUXDB_DATABASE || 'heatpump' });
  if (report.actions.length === 0) console.log(`InfluxDB ${url}: database "${report.database}" already set up.`);
  for (const action of report.actions) console.log(`applied: ${action}`);
}

main().catch((err: unknown) => {
  console.error(`db:setup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
