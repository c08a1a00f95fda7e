/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name>` runs one. A benchmark is a
 * file bench/<name>.ts exporting `run(): Promise<void>` that calls report() from ./lib.ts.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${all.join(', ')}`);
  process.exit(1);
}
for (const name of wanted.length ? wanted : all) {
  const mod = await import(pathToFileURL(join(here, `${name}.ts`)).href);
  await mod.run();
}
process.exit(0);
