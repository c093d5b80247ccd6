// Watchdog of a local influxd (started by scripts/lib/influxd.ts): `node influxd-watchdog.js <pid>
// <config file>`. Its parent keeps our stdin open; when the parent dies in any way, SIGKILL
// included, the kernel closes that pipe, we see end-of-file and stop the influxd, so no influxd
// outlives the `npm start` (or test) that started it. A clean stop writes "release" first: the
// parent has stopped influxd itself and we exit at once without touching anything.
import fs from 'node:fs';

const pid = Number(process.argv[2]);
const configFile = process.argv[3] ?? '';

/** Still our influxd (and not a zombie or a reused pid)? */
function isOurs(): boolean {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.some((arg) => /influxd$/.test(arg)) && args.includes(configFile);
  } catch {
    // no /proc (not Linux): fall back to "is the pid alive"
    if (fs.existsSync('/proc/self')) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function signal(name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

let released = false;
// a Ctrl-C in the terminal reaches the whole process group: the parent stops influxd cleanly
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  if (chunk.includes('release')) {
    released = true;
    process.exit(0);
  }
});
process.stdin.on('error', () => undefined);
let ended = false;
function parentGone(): void {
  if (ended) return;
  ended = true;
  if (released || !Number.isInteger(pid) || pid <= 0 || !isOurs()) process.exit(0);
  signal('SIGTERM');
  const deadline = Date.now() + 10_000;
  const timer = setInterval(() => {
    if (!isOurs()) process.exit(0);
    if (Date.now() > deadline) {
      signal('SIGKILL');
      clearInterval(timer);
      setTimeout(() => process.exit(0), 500);
    }
  }, 100);
}
process.stdin.on('end', parentGone);
process.stdin.on('close', parentGone);
