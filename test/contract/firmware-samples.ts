// Builds and runs the firmware's host program that prints payloads made by the real C++ core
// (firmware/test/host/payload_samples.cpp): one line per sample, <name> TAB <topic> TAB <payload>.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../support/node-red';

export const firmwareDir = path.join(projectRoot, 'firmware');

export interface FirmwareSample {
  name: string;
  topic: string;
  payload: string;
}

export function firmwareSamples(): FirmwareSample[] {
  execFileSync('make', ['-s', '-C', firmwareDir, 'build/host/payload-samples'], { stdio: 'pipe' });
  const output = execFileSync(path.join(firmwareDir, 'build', 'host', 'payload-samples'), { encoding: 'utf8' });
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [name, topic, payload, ...rest] = line.split('\t');
      if (name === undefined || topic === undefined || payload === undefined || rest.length > 0) throw new Error(`bad sample line: ${line}`);
      return { name, topic, payload };
    });
}
