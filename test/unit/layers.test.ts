// The import direction of DESIGN.md: core <- codecs <- hub <- servers <- control <- app. A module may import
// its own layer and the layers below it, never above; only src/app.ts and src/main.ts wire everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const src = join(root, 'src');
const ORDER = ['core', 'codecs', 'hub', 'servers', 'control'];

function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

function layerOf(file: string): number | null {
  const top = relative(src, file).split('/')[0]!;
  const i = ORDER.indexOf(top);
  return i < 0 ? null : i;
}

test('imports go one way: core <- codecs <- hub <- servers <- control <- app', () => {
  const bad: string[] = [];
  for (const file of walk(src)) {
    const from = layerOf(file);
    if (from === null) continue; // app.ts, main.ts, config.ts, version.ts
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
      if (!target.startsWith(src)) continue; // native/, node_modules
      const to = layerOf(target);
      const rel = relative(src, target);
      if (rel === 'app.ts' || rel === 'main.ts') bad.push(`${relative(root, file)} imports the composition root ${rel}`);
      else if (to !== null && to > from) bad.push(`${relative(root, file)} (${ORDER[from]}) imports ${rel} (${ORDER[to]})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('core has no dependencies outside node:', () => {
  for (const file of walk(join(src, 'core'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+['"]([^'".][^'"]*)['"]/g)) {
      assert.ok(m[1]!.startsWith('node:'), `${relative(root, file)} imports ${m[1]}`);
    }
  }
});
