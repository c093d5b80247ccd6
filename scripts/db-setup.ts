// `npm run db:setup`: applies the InfluxDB 1.x layout (database, retention policies, continuous
// queries) to INFLUXDB_URL, and with INFLUXDB_WRITE_USER / INFLUXDB_READ_USER (+ _PASSWORD) the
// write-only and read-only users Node-RED logs in with (needs an admin: INFLUXDB_ADMIN_USER /
// INFLUXDB_ADMIN_PASSWORD, else INFLUXDB_USER / INFLUXDB_PASSWORD). Safe to run again: only what
// is missing or different changes.
import { influxVersion, setupInfluxDb, setupOptionsFromEnv } from './lib/influx-setup';

async function main(): Promise<void> {
  const options = setupOptionsFromEnv(process.env);
  const { url } = options;
  const version = await influxVersion(options);
  if (/^v?[23]\./.test(version)) {
    console.log(
      `InfluxDB ${version} at ${url}: buckets, DBRP mappings and downsampling tasks come from ` +
        'docker/influxdb/init/10-heatpump.sh (run by the influxdb container on first start); nothing to do here.',
    );
    return;
  }
  const report = await setupInfluxDb(options);
  if (report.actions.length === 0) console.log(`InfluxDB ${url}: database "${report.database}" already set up.`);
  for (const action of report.actions) console.log(`applied: ${action}`);
}

main().catch((err: unknown) => {
  console.error(`db:setup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
