// `npm run bench`: runs every compiled bench/*.bench.js in name order, or only those whose
// name contains one of the words given (`npm run bench -- decode tracker`).
import fs from 'node:fs';
import path from 'node:path';

interface BenchModule {
  title: string;
  run(): Promise<void>;
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
    .sort();
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bench = require(path.join(__dirname, file)) as BenchModule;
    console.log(`\n== ${bench.title} (${file.replace('.bench.js', '')})`);
    await bench.run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
