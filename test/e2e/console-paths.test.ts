// Every server path the console calls (console/src/api/paths.ts) exists on the real server: none is answered
// with "no API", and, when the server serves /terraform/v1/openapi.json, each /terraform and /api path is in it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, type TestServer } from './helpers.js';

const root = new URL('../../../', import.meta.url).pathname;
let server: TestServer;

/** The PATHS object of the console's client, read from its source. */
function consolePaths(): Record<string, string> {
  const src = readFileSync(`${root}console/src/api/paths.ts`, 'utf8');
  const out: Record<string, string> = {};
  for (const m of src.matchAll(/^\s+(\w+): '([^']+)',$/gm)) out[m[1]!] = m[2]!;
  return out;
}

before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.close();
});

test('the console calls only paths the server has', async () => {
  const paths = consolePaths();
  assert.ok(Object.keys(paths).length >= 30, `found ${Object.keys(paths).length} paths in paths.ts`);
  for (const [name, path] of Object.entries(paths)) {
    if (name === 'openapi') continue; // helper "api" adds it; checked below when it is there
    const concrete = path.replace('{uuid}', '00000000-0000-4000-8000-000000000000').replace('{id}', 'nosuchclient');
    const r = await fetch(`${server.http}${concrete}`, {
      method: path.startsWith('/rtc/') ? 'DELETE' : 'GET',
      headers: { Authorization: `Bearer ${server.bearer}` },
    });
    const text = await r.text();
    assert.doesNotMatch(text, /no API /, `${name} ${path}: ${r.status} ${text}`);
    assert.ok(r.status !== 404 || /uuid|client|session|record/i.test(text), `${name} ${path}: ${r.status} ${text}`);
  }
});

test('the console paths are in openapi.json (when the server has it)', async (t) => {
  const r = await fetch(`${server.http}/terraform/v1/openapi.json`);
  if (r.status === 404) {
    t.skip('this server has no /terraform/v1/openapi.json yet');
    return;
  }
  assert.equal(r.status, 200);
  const spec = (await r.json()) as { paths: Record<string, unknown> };
  const norm = (p: string) => p.replace(/\{[^}]+\}/g, '{}').replace(/:[a-zA-Z]+/g, '{}');
  const listed = new Set(Object.keys(spec.paths).map(norm));
  for (const [name, path] of Object.entries(consolePaths())) {
    if (name === 'openapi' || path.startsWith('/rtc/')) continue;
    assert.ok(listed.has(norm(path)), `${name} ${path} is not in openapi.json`);
  }
});
