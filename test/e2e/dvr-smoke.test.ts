import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publish, probe, randomName, withTimeout } from './helpers.js';
import { startRecordServer, waitRecording } from './dvr-helpers.js';

test('smoke', async () => {
  const s = await startRecordServer({ RECORD_REPUBLISH_WINDOW_MS: '1000' });
  try {
    const r = await s.api('/terraform/v1/hooks/record/apply', { all: true });
    assert.equal(r.status, 200, JSON.stringify(r));
    const name = randomName('smoke');
    const p = publish(s.publishUrl(name), { seconds: 6 });
    await withTimeout(p.exited, 20000, () => p.kill());
    const f = await waitRecording(s, name, (x) => x.state === 'done' || x.state === 'failed');
    console.log(JSON.stringify(f, null, 1));
    const pr = await probe(f.url);
    console.log(JSON.stringify(pr.streams.map((x) => x.codec_name)), pr.format?.duration);
    const h = await fetch(f.url, { headers: { Range: 'bytes=100-199' } });
    console.log(h.status, h.headers.get('content-range'), (await h.arrayBuffer()).byteLength);
    console.log(JSON.stringify(await s.api('/terraform/v1/hooks/record/query')));
  } finally {
    console.log(s.logs().filter((l) => String(l.module) === 'record' || String(l.msg).startsWith('record')).map((l) => JSON.stringify(l)).join('\n'));
    await s.close();
  }
});
