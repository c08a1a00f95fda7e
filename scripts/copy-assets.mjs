// tsc compiles only TypeScript; the Lua scripts (and any other runtime assets under src/) are
// copied beside the compiled files so `dist/` works on its own.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(lua|sql|html|css|svg)$/;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (ASSET.test(name)) cpSync(p, p.replace(/^src/, 'dist'));
  }
}
walk('src');
