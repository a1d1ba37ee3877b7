// The import direction of DESIGN.md: core <- codecs <- hub <- servers <- control <- app. A module may import
// its own layer and the layers below it, never above; only src/app.ts and src/main.ts wire everything.
// Imports are read with TypeScript's own scanner, so every form counts: `import x from`, `import './x.js'`
// (side effect), `import('./x.js')` (dynamic), `export ... from` and `import x = require()`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

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

/** Every module specifier a file imports or re-exports, in any form (comments and strings are not imports). */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function layerOf(file: string): number | null {
  const top = relative(src, file).split('/')[0]!;
  const i = ORDER.indexOf(top);
  return i < 0 ? null : i;
}

/** What breaks the import direction in one file of layer `from`. */
function violations(file: string, text: string): string[] {
  const from = layerOf(file);
  if (from === null) return []; // app.ts, main.ts, config.ts, version.ts
  const bad: string[] = [];
  for (const spec of importsOf(text)) {
    if (!spec.startsWith('.')) continue; // node:, packages
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!target.startsWith(src + '/')) continue; // native/
    const to = layerOf(target);
    const rel = relative(src, target);
    if (rel === 'app.ts' || rel === 'main.ts') bad.push(`${relative(root, file)} imports the composition root ${rel}`);
    else if (to !== null && to > from) bad.push(`${relative(root, file)} (${ORDER[from]}) imports ${rel} (${ORDER[to]})`);
  }
  return bad;
}

test('the import scanner sees every form of import and nothing in comments or strings', () => {
  const text = [
    "import a from './a.js';",
    "import './side-effect.js';",
    "import type { T } from './type.js';",
    'import {',
    '  x,',
    "  y } from './multi-line.js';",
    "export * from './star.js';",
    "export { z } from './named.js';",
    "export type { Q } from './type-export.js';",
    "const m = await import('./dynamic.js');",
    'async function f() { return import("./dynamic-in-function.js"); }',
    "// import './in-a-comment.js';",
    "const s = \"import './in-a-string.js'\";",
  ].join('\n');
  assert.deepEqual(importsOf(text), [
    './a.js',
    './side-effect.js',
    './type.js',
    './multi-line.js',
    './star.js',
    './named.js',
    './type-export.js',
    './dynamic.js',
    './dynamic-in-function.js',
  ]);
  // and each form that points upward is a violation
  const inCore = join(src, 'core', 'x.ts');
  for (const line of ["import '../hub/hub.js';", "void import('../servers/ports.js');", "export { Hub } from '../hub/hub.js';", "import { startApp } from '../app.js';"]) {
    assert.equal(violations(inCore, line).length, 1, line);
  }
  assert.deepEqual(violations(join(src, 'hub', 'x.ts'), "import '../core/frame.js'; import('../codecs/flv.js');"), []);
});

test('imports go one way: core <- codecs <- hub <- servers <- control <- app', () => {
  const bad: string[] = [];
  for (const file of walk(src)) bad.push(...violations(file, readFileSync(file, 'utf8')));
  assert.deepEqual(bad, []);
});

test('core has no dependencies outside node:', () => {
  for (const file of walk(join(src, 'core'))) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      assert.ok(spec.startsWith('node:') || spec.startsWith('.'), `${relative(root, file)} imports ${spec}`);
    }
  }
});
