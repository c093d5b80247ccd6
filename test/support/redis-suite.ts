// A private redis-server for a flow suite, and REDIS_URL with a fresh key prefix for each test, so
// the nodes a test loads share their state in Redis as replicas would and no test sees another's keys.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis, type RunningRedis } from '../../scripts/lib/redis-server';
import { requireBinary } from './system';

/**
 * Registers the suite's hooks (call it inside `describe`); `url()` is the server's once started,
 * `stop()` stops it and `restart()` starts it again on the same port and data (stopping it first if it runs).
 */
export function redisPerTest(prefix: string, envNames: readonly string[]): { url(): string; stop(): Promise<void>; restart(): Promise<void> } {
  let redis: RunningRedis | undefined;
  let dataDir = '';
  let round = 0;
  const saved = Object.fromEntries(envNames.map((name) => [name, process.env[name]]));

  before(async function () {
    const binary = requireBinary(this, 'redis-server', 'redis-server');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-redis-`));
    redis = await startRedis({ dataDir, binary });
  });

  beforeEach(() => {
    round += 1;
    process.env.REDIS_URL = redis?.url;
    process.env.HEATPUMP_REDIS_PREFIX = `${prefix}${round}:`;
  });

  afterEach(() => {
    for (const name of envNames) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  after(async () => {
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    url: () => {
      if (!redis) throw new Error('redis-server is not running');
      return redis.url;
    },
    stop: async () => {
      if (!redis) throw new Error('redis-server is not running');
      await redis.stop();
    },
    restart: async () => {
      if (!redis) throw new Error('redis-server is not running');
      await redis.restart();
    },
  };
}
