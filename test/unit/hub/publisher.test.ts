// Hub.claim: one Publisher per stream, a typed busy answer naming the current publisher, published and
// unpublished announced by the hub, and a server-side source listed like any client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub } from '../../../src/hub/hub.js';
import { ServerSideClient } from '../../../src/hub/client.js';
import { VideoCodec } from '../../../src/core/frame.js';

const url = { vhost: '__defaultVhost__', app: 'live', stream: 'pulled', param: '' };

test('claim gives one publisher; a second claim is busy; release announces and frees the stream', () => {
  const hub = new Hub({ gopCache: true, gopMaxFrames: 3000, mwLatencyMs: 0, queueBytes: 1 << 20, republishGraceMs: 100 });
  const events: string[] = [];
  hub.published.on((s) => events.push(`pub ${s.url.stream}`));
  hub.unpublished.on((s) => events.push(`unpub ${s.url.stream}`));
  let kicked = '';
  const a = new ServerSideClient('pull-publish', url, 'rtmp://remote/live/src', (r) => (kicked = r));
  const b = new ServerSideClient('file-publish', url, 'file:///tmp/x.flv', () => {});
  assert.equal(a.ip, '127.0.0.1');
  assert.equal(a.publish, true);
  const p = hub.claim(url, a);
  assert.equal(p.busy, false);
  if (p.busy) return;
  assert.deepEqual(events, ['pub pulled']);
  const busy = hub.claim(url, b);
  assert.equal(busy.busy, true);
  if (busy.busy) assert.equal(busy.current.id, a.id);
  p.publish({ type: 'video', codec: VideoCodec.H264, dts: 0, pts: 0, keyframe: true, header: false, data: Buffer.alloc(4) });
  assert.equal(p.stream.frames, 1);
  p.release();
  p.release();
  assert.deepEqual(events, ['pub pulled', 'unpub pulled']);
  assert.equal(hub.get(url), undefined, 'no viewers: the stream is removed at once');
  p.publish({ type: 'video', codec: VideoCodec.H264, dts: 40, pts: 40, keyframe: true, header: false, data: Buffer.alloc(4) });
  a.close('kicked by the API');
  assert.equal(kicked, 'kicked by the API');
});
