// Republish: viewers that stayed continue across a new publish of the same stream (SRS behaviour), HLS
// marks the break with EXT-X-DISCONTINUITY, and the stream is removed once the grace period passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { publish, randomName, startServer, waitFor, withTimeout } from './helpers.js';

test('an HTTP-FLV viewer continues across a republish; HLS gets a discontinuity; then the stream ends', async () => {
  const server = await startServer({ REPUBLISH_GRACE_MS: '4000', HLS_FRAGMENT: '1' });
  const name = randomName('rep');
  try {
    const p1 = publish(server.publishUrl(name), { seconds: 4 });
    await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.frames > 30), 15000, 'first publish');
    let bytes = 0;
    let ended = false;
    const req = get(`${server.http}/live/${name}.flv`, (res) => {
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => (ended = true));
    });
    req.on('error', () => (ended = true));
    await withTimeout(p1.exited, 20000, () => p1.kill());
    await waitFor(() => !server.app.hub.list().find((s) => s.url.stream === name)?.active, 5000, 'unpublish');
    const atUnpublish = bytes;
    assert.ok(atUnpublish > 10000, `viewer got ${atUnpublish} bytes`);
    assert.equal(ended, false, 'the viewer must stay connected during the grace period');

    const p2 = publish(server.publishUrl(name), { seconds: 4 });
    await waitFor(() => bytes > atUnpublish + 20000, 15000, 'media after the republish');
    const s = server.app.hub.list().find((x) => x.url.stream === name)!;
    assert.equal(s.publishCount, 2);
    await waitFor(async () => /#EXT-X-DISCONTINUITY\n/.test(await (await fetch(`${server.http}/live/${name}.m3u8?hls_ctx=republish`)).text()), 10000, 'a discontinuity in the playlist');
    await withTimeout(p2.exited, 20000, () => p2.kill());
    // After the grace period the viewer is ended and the stream removed.
    await waitFor(() => ended, 10000, 'the viewer to be ended');
    await waitFor(() => !server.app.hub.list().some((x) => x.url.stream === name), 5000, 'the stream to be removed');
    req.destroy();
  } finally {
    await server.close();
  }
});
