// The Helm chart (helm/) renders with its defaults and with every value set, into valid Kubernetes objects
// (kubernetes-models' API schemas), with SRS Stack's values (persistence.path, service.http/https/rtmp/rtc/srt).
// There is no helm binary here (neither npm nor Debian has one), so the chart keeps to a small subset of Go
// templates -- {{ .Values.x }}, {{ .Release.Name }}, `| quote`, if/else/end, {{- trimming -- and this test
// renders that subset strictly: anything else in a template fails the test, so the chart cannot drift past it.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PersistentVolumeClaim, Service } from 'kubernetes-models/v1';

const root = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
const chart = join(root, 'helm');

type Tree = Record<string, unknown>;

function lookup(ctx: Tree, path: string): unknown {
  let v: unknown = ctx;
  for (const k of path.slice(1).split('.')) {
    if (v === null || typeof v !== 'object') throw new Error(`${path}: no such value`);
    v = (v as Tree)[k];
  }
  if (v === undefined) throw new Error(`${path}: no such value (add it to values.yaml)`);
  return v;
}

/** Go template truth: false, 0, "", nil, empty maps and lists are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return v !== false && v !== 0 && v !== '' && v !== null && v !== undefined;
}

/** Renders the chart's subset of Go templates; throws on anything outside it. */
function render(text: string, ctx: Tree): string {
  const re = /(\s*){{(-?)\s*(.*?)\s*(-?)}}/gs;
  let out = '';
  let last = 0;
  const stack: { on: boolean; seenElse: boolean; parentOn: boolean }[] = [];
  const on = () => stack.every((s) => s.on);
  let trimNext = false;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let lead = text.slice(last, m.index) + (m[2] === '-' ? '' : m[1]!);
    if (trimNext) lead = lead.replace(/^\s+/, '');
    if (on()) out += lead;
    last = m.index + m[0].length;
    trimNext = m[4] === '-';
    const expr = m[3]!;
    let g: RegExpExecArray | null;
    if ((g = /^if (\.[\w.]+)$/.exec(expr))) {
      stack.push({ on: truthy(lookup(ctx, g[1]!)), seenElse: false, parentOn: on() });
    } else if (expr === 'else') {
      const top = stack.at(-1);
      if (!top || top.seenElse) throw new Error('else without if');
      top.on = !top.on;
      top.seenElse = true;
    } else if (expr === 'end') {
      if (!stack.pop()) throw new Error('end without if');
    } else if ((g = /^(\.[\w.]+)( \| quote)?$/.exec(expr))) {
      if (!on()) continue;
      const v = lookup(ctx, g[1]!);
      if (v !== null && typeof v === 'object') throw new Error(`${g[1]} is a map: not printable`);
      out += g[2] ? JSON.stringify(String(v)) : String(v);
    } else throw new Error(`template construct outside the chart's subset: {{ ${expr} }}`);
  }
  if (stack.length > 0) throw new Error('if without end');
  let tail = text.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  return out + tail;
}

function setPath(t: Tree, path: string, v: unknown): void {
  const keys = path.split('.');
  let o = t;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Tree;
  o[keys.at(-1)!] = v;
}

function template(sets: Record<string, unknown> = {}): Tree[] {
  const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Tree;
  for (const [k, v] of Object.entries(sets)) setPath(values, k, v);
  const meta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as Tree;
  const ctx = { Values: values, Release: { Name: 'srs' }, Chart: { Name: meta.name, AppVersion: meta.appVersion } };
  const objs: Tree[] = [];
  for (const f of readdirSync(join(chart, 'templates')).filter((x) => x.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(render(readFileSync(join(chart, 'templates', f), 'utf8'), ctx))) {
      if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const o = doc.toJS() as Tree | null;
      if (o) objs.push(o);
    }
  }
  return objs;
}

function validate(objs: Tree[]): void {
  for (const o of objs) {
    const kind = `${String(o.apiVersion)}/${String(o.kind)}`;
    const Model = { 'apps/v1/Deployment': Deployment, 'v1/Service': Service, 'v1/PersistentVolumeClaim': PersistentVolumeClaim }[kind];
    assert.ok(Model, `unexpected object ${kind}`);
    new Model(o as never).validate();
  }
}

const find = (objs: Tree[], kind: string) => objs.find((o) => o.kind === kind) as Tree & { spec: Tree };
type Container = { env: { name: string; value?: string; valueFrom?: unknown }[]; ports: { name: string; containerPort: number; protocol: string }[]; livenessProbe: { httpGet: { path: string } }; readinessProbe: { httpGet: { path: string } }; resources: unknown; image: string };
const container = (objs: Tree[]) => ((find(objs, 'Deployment').spec as { template: { spec: { containers: Container[]; volumes: Tree[] } } }).template.spec);
const env = (c: Container, name: string) => c.env.find((e) => e.name === name);

describe('Helm chart', () => {
  it('renders with the defaults into valid objects: Deployment, Service, PVC; probes on /healthz and /readyz', () => {
    const objs = template();
    validate(objs);
    assert.deepEqual(objs.map((o) => o.kind).sort(), ['Deployment', 'PersistentVolumeClaim', 'Service']);
    const pod = container(objs);
    const c = pod.containers[0]!;
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.deepEqual(c.ports.map((p) => `${p.containerPort}/${p.protocol}`), ['2022/TCP', '2443/TCP', '1935/TCP', '8000/UDP', '10080/UDP']);
    assert.equal(env(c, 'DATA_DIR')?.value, '/data');
    assert.equal(env(c, 'REDIS_URL'), undefined, 'no external Redis by default');
    assert.deepEqual(env(c, 'CANDIDATE')?.valueFrom, { fieldRef: { fieldPath: 'status.hostIP' } });
    assert.deepEqual(pod.volumes[0], { name: 'data', persistentVolumeClaim: { claimName: 'srs-srs-node-data' } });
    const svc = find(objs, 'Service').spec as { ports: { port: number; protocol: string }[] };
    assert.deepEqual(svc.ports.map((p) => `${p.port}/${p.protocol}`), ['2022/TCP', '2443/TCP', '1935/TCP', '8000/UDP', '10080/UDP']);
  });

  it("renders with every value set (SRS Stack's --set flags) into valid objects", () => {
    const objs = template({
      'persistence.path': '/home/me/data',
      'persistence.storageClass': 'fast',
      'service.type': 'NodePort',
      'service.http': 3022,
      'service.https': 3443,
      'service.rtmp': 2935,
      'service.rtc': 9000,
      'service.srt': 11080,
      'redis.url': 'redis://redis.default.svc:6379/1',
      'rtc.candidate': '203.0.113.7',
      'metrics.public': true,
      shutdownTimeoutMs: 20000,
      'image.repository': 'registry.example.com/srs-node',
      'image.tag': '0.2.0',
      'resources.limits.cpu': '2',
      'resources.limits.memory': '2Gi',
    });
    validate(objs);
    assert.deepEqual(objs.map((o) => o.kind).sort(), ['Deployment', 'Service'], 'a hostPath needs no PVC');
    const pod = container(objs);
    const c = pod.containers[0]!;
    assert.equal(c.image, 'registry.example.com/srs-node:0.2.0');
    assert.deepEqual(c.ports.map((p) => p.containerPort), [3022, 3443, 2935, 9000, 11080]);
    assert.equal(env(c, 'HTTP_PORT')?.value, '3022');
    assert.equal(env(c, 'REDIS_URL')?.value, 'redis://redis.default.svc:6379/1');
    assert.equal(env(c, 'CANDIDATE')?.value, '203.0.113.7');
    assert.equal(env(c, 'METRICS_PUBLIC')?.value, 'true');
    assert.equal(env(c, 'SHUTDOWN_TIMEOUT_MS')?.value, '20000');
    assert.deepEqual(pod.volumes[0], { name: 'data', hostPath: { path: '/home/me/data', type: 'DirectoryOrCreate' } });
    assert.equal((find(objs, 'Service').spec as { type: string }).type, 'NodePort');
    const pvc = template({ 'persistence.storageClass': 'fast' });
    assert.equal((find(pvc, 'PersistentVolumeClaim').spec as { storageClassName: string }).storageClassName, 'fast');
  });

  it('bad values fail: a port that is not a number, a value the chart does not have, a construct outside the subset', () => {
    assert.throws(() => validate(template({ 'service.http': 'abc' })), /integer/);
    assert.throws(() => validate(template({ 'service.type': 7 })), /string/);
    assert.throws(() => render('{{ .Values.nope }}', { Values: {} }), /no such value/);
    assert.throws(() => render('{{ toYaml .Values }}', { Values: {} }), /outside the chart's subset/);
    assert.throws(() => render('{{- if .Values.a }}x', { Values: { a: 1 } }), /if without end/);
  });
});
