// Several Node-RED instances on one shared state: the settings come from the environment only, so
// the shipped flows stay the same for one instance and for many. REDIS_URL unset: one instance,
// state in the context store as before.
import os from 'node:os';

export interface ClusterSettings {
  /** redis://[user:password@]host:port[/db]; the password stays in the environment */
  redisUrl: string;
  /** names this instance in leases and logs; unique per replica */
  instanceId: string;
  /** prepended to every Redis key and channel, so that several installations can share one Redis */
  keyPrefix: string;
  /** MQTT shared subscription group the replicas share the device stream in (flows/00-config.json builds the topics) */
  shareGroup: string;
}

export const DEFAULT_KEY_PREFIX = 'heatpump:';
export const DEFAULT_SHARE_GROUP = 'heatpump-monitor';
const GROUP_NAME = /^[A-Za-z0-9_-]{1,64}$/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The cluster settings, undefined when REDIS_URL is unset or blank (single instance).
 * Throws on a setting that cannot work, naming the variable.
 */
export function clusterSettings(env: Env, host: string = os.hostname(), pid: number = process.pid): ClusterSettings | undefined {
  const redisUrl = (env.REDIS_URL ?? '').trim();
  if (redisUrl === '') return undefined;
  if (!/^rediss?:\/\//.test(redisUrl)) throw new Error('REDIS_URL must start with redis:// or rediss://');
  const shareGroup = (env.HEATPUMP_SHARE_GROUP ?? '').trim() || DEFAULT_SHARE_GROUP;
  // '+', '#' and '/' would change the meaning of the $share/<group>/ topic
  if (!GROUP_NAME.test(shareGroup)) throw new Error('HEATPUMP_SHARE_GROUP must be 1 to 64 of A-Z a-z 0-9 _ -');
  const keyPrefix = env.HEATPUMP_REDIS_PREFIX?.trim() || DEFAULT_KEY_PREFIX;
  // a replica restarted on the same host gets a new id (new pid): its predecessor's lease is not its own
  const instanceId = (env.HEATPUMP_INSTANCE_ID ?? '').trim() || `${host}-${pid}`;
  return { redisUrl, instanceId, keyPrefix, shareGroup };
}

/**
 * This process's cluster settings for a node: undefined when REDIS_URL is unset, or when a setting
 * cannot work: then `refused` is told why (the node reports it) and the node works alone.
 */
export function nodeClusterSettings(refused: (reason: string) => void): ClusterSettings | undefined {
  try {
    return clusterSettings(process.env);
  } catch (thrown) {
    refused(thrown instanceof Error ? thrown.message : String(thrown));
    return undefined;
  }
}
