// Every SRS Stack path exists: README's table of /terraform/v1 paths against the route registry (a path of the
// table that is neither built nor answering 501 fails, and so does a registered path missing from the table),
// the 501 answers over HTTP, the OpenAPI document (validated by @apidevtools/swagger-parser, listing every
// registered route), and JSONP.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { call, cleanupAll, startPlane, startRedis, type Plane, type TestRedis } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

interface Row {
  paths: string[];
  state: string;
}

/** The rows of README's "SRS Stack paths" table. */
function readmeTable(): Row[] {
  const text = readFileSync(resolve(root, 'README.md'), 'utf8');
  const start = text.indexOf('| paths (under `/terraform/v1`) | state |');
  assert.ok(start >= 0, 'README has the table of SRS Stack paths');
  const rows: Row[] = [];
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(' | ');
    const paths = [...cells[0]!.matchAll(/`([^`]+)`/g)].map((m) => `/terraform/v1${m[1]}`);
    rows.push({ paths, state: cells.slice(1).join(' | ').replace(/\s*\|\s*$/, '') });
  }
  return rows;
}

/** A concrete URL for a registered path: parameters and subpaths filled in. */
function sample(path: string): string {
  return path.replace(/:\w+/g, 'x1').replace(/\*\w+/g, 'a/b.m3u8');
}

describe('SRS Stack paths, OpenAPI and JSONP', () => {
  let redis: TestRedis;
  let p: Plane;

  before(async () => {
    redis = await startRedis();
    p = await startPlane({ REDIS_URL: redis.url, SRS_PLATFORM_SECRET: 'paths-secret' });
  });
  after(async () => {
    await p?.close();
    cleanupAll();
  });

  it("README's table matches the route registry, both ways", () => {
    const rows = readmeTable();
    assert.ok(rows.length >= 5, 'the table has rows');
    const listed = new Set<string>();
    for (const row of rows) {
      for (const path of row.paths) {
        listed.add(path);
        const route = p.cp.routes.find((r) => r.path === path);
        assert.ok(route, `README lists ${path}, which is neither built nor answering 501: register it (routes/not-built/routes.ts)`);
        if (row.state === 'done') {
          assert.equal(route.notBuilt, undefined, `README says ${path} is done, but it answers 501 (${route.notBuilt})`);
          continue;
        }
        assert.ok(route.notBuilt, `README says ${path} is "${row.state}", but it is built: mark it done in README`);
        const issue = /#(\d+)/.exec(row.state);
        if (issue) assert.match(route.notBuilt, new RegExp(`issue #${issue[1]}\\b`), `${path}: the 501 names issue #${issue[1]}`);
        else if (/deliberately/.test(row.state)) assert.match(route.notBuilt, /^deliberately not built: /, path);
        else assert.match(route.notBuilt, /not planned in any issue/, path);
      }
    }
    for (const r of p.cp.routes) {
      if (r.path.startsWith('/terraform/v1/')) assert.ok(listed.has(r.path), `${r.path} is registered but missing from README's table of SRS Stack paths`);
    }
  });

  it('a path not built answers 501 with the reason in JSON, to any method, without auth', async () => {
    const notBuilt = p.cp.routes.filter((r) => r.notBuilt);
    assert.ok(notBuilt.length > 50);
    for (const r of notBuilt) {
      for (const method of ['GET', 'POST']) {
        const res = await call(p.base, method, sample(r.path), method === 'POST' ? { body: { x: 1 } } : {});
        assert.equal(res.status, 501, `${method} ${r.path}: ${res.text}`);
        assert.equal(res.json.code, 501);
        assert.ok(res.json.message.includes(r.notBuilt!), `${r.path}: ${res.json.message}`);
        assert.match(res.json.message, /is not built in this server/);
      }
    }
    // a malformed body does not change the answer
    const bad = await call(p.base, 'POST', '/terraform/v1/ai/ocr/query', { raw: '{"title":' });
    assert.equal(bad.status, 501);
    // an unknown path still gets a JSON 404
    const nf = await call(p.base, 'GET', '/terraform/v1/ffmpeg/nothing');
    assert.equal(nf.status, 404);
  });

  it('openapi.json validates as OpenAPI 3.1 and lists every registered route and method', async () => {
    const r = await call(p.base, 'GET', '/terraform/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /application\/json/);
    const doc = r.json;
    assert.equal(doc.openapi, '3.1.0');
    await SwaggerParser.validate(structuredClone(doc));
    for (const route of p.cp.routes) {
      const item = doc.paths[route.path.replace(/[:*](\w+)/g, '{$1}')];
      assert.ok(item, `${route.path} is in openapi.json`);
      for (const m of route.methods) {
        const op = item[m.toLowerCase()];
        assert.ok(op, `${m} ${route.path} is in openapi.json`);
        assert.equal(op.security.length > 0, route.auth, `${m} ${route.path}: security matches auth`);
        if (route.notBuilt) assert.ok(op.responses['501'], `${route.path} documents its 501`);
      }
    }
    let ops = 0;
    for (const item of Object.values(doc.paths) as Record<string, unknown>[]) ops += Object.keys(item).length;
    assert.equal(ops, p.cp.routes.reduce((n, x) => n + x.methods.length, 0), 'no operation that is not registered');
    // request bodies come from the route schemas
    const limits = doc.paths['/terraform/v1/mgmt/limits/update'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(limits.required, ['vlive', 'camera']);
    assert.equal(limits.properties.vlive.type, 'integer');
    const init = doc.paths['/terraform/v1/mgmt/init'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(Object.keys(init.properties).sort(), ['password', 'setupCode']);
    assert.equal(init.required, undefined, 'both init fields are optional');
    // results, where a route declares them (the console types its client from these)
    const initOk = doc.paths['/terraform/v1/mgmt/init'].post.responses['200'].content['application/json'].schema;
    const shapes = initOk.allOf[1].properties.data.oneOf.map((x: { required: string[] }) => x.required.join(','));
    assert.deepEqual(shapes, ['init,needSetupCode', 'token,createAt,expireAt,bearer']);
  });

  it('JSONP: ?callback= wraps the envelope; a callback that is not a name is refused', async () => {
    const v = await call(p.base, 'GET', '/api/v1/versions?callback=JSON_CALLBACK');
    assert.equal(v.status, 200);
    assert.match(String(v.headers['content-type']), /application\/javascript/);
    const m = /^JSON_CALLBACK\((.*)\)$/s.exec(v.text);
    assert.ok(m, v.text);
    assert.equal(JSON.parse(m[1]!).data.major, 5);
    const s = await call(p.base, 'GET', '/api/v1/streams?callback=angular.callbacks._0&token=nope');
    assert.equal(s.status, 401, 'JSONP does not skip auth');
    const ok = await call(p.base, 'POST', '/terraform/v1/mgmt/versions?callback=cb');
    assert.match(ok.text, /^cb\(\{"code":0,/);
    for (const bad of ['alert(1)', '1abc', 'a;b', 'x'.repeat(200)]) {
      const r = await call(p.base, 'GET', `/api/v1/versions?callback=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.match(r.json.message, /"callback" must be a JavaScript function name/);
    }
  });
});
