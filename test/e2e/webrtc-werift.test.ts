// An in-process werift client against the real server: WHIP publish (H.264 packetized by our RFC 6184
// packetizer, Opus from an Ogg file) reaches the hub and HTTP-FLV as h264+aac; then many WHEP sessions at
// once, all on the one shared RTC port, receive access units and audio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probe, randomName, startServer, summarize, waitFor, type TestServer } from './helpers.js';
import { candidateOf, makeTestMedia, weriftWhep, weriftWhip, type WeriftSession } from './webrtc-werift-client.js';

test('werift WHIP publish, then many werift WHEP sessions on the one RTC port', { timeout: 120_000 }, async (t) => {
  let server: TestServer | null = null;
  const sessions: WeriftSession[] = [];
  try {
    server = await startServer();
    const srv = server;
    const media = makeTestMedia(2);
    const name = randomName('werift');
    const url = { vhost: '__defaultVhost__', app: 'live', stream: name, param: '' };
    const pub = await weriftWhip(`${srv.http}/rtc/v1/whip/?app=live&stream=${name}&secret=${srv.secret}`, media);
    sessions.push(pub);
    assert.equal(pub.status, 201, pub.answer);
    assert.deepEqual(candidateOf(pub.answer), { ip: '127.0.0.1', port: srv.app.rtcPort });
    const stream = await waitFor(() => {
      const s = srv.app.hub.get(url);
      return s && s.video && s.audio && s.frames > 40 ? s : null;
    }, 20000, 'video and audio in the hub');
    t.diagnostic(`hub: ${stream.video?.width}x${stream.video?.height} ${stream.video?.profile}, audio ${stream.audio?.sampleRate} Hz, ${stream.frames} frames`);
    const flv = await probe(`${srv.http}/live/${name}.flv`, ['-read_intervals', '%+1']);
    assert.equal(summarize(flv.streams), 'aac, h264 160x120');

    const N = 6;
    const players = await Promise.all(Array.from({ length: N }, () => weriftWhep(`${srv.http}/rtc/v1/whep/?app=live&stream=${name}`)));
    sessions.push(...players);
    for (const p of players) {
      assert.equal(p.status, 201, p.answer);
      assert.equal(candidateOf(p.answer)?.port, srv.app.rtcPort, 'every session uses the shared port');
    }
    await waitFor(
      () => players.every((p) => p.received.keyframes >= 1 && p.received.accessUnits >= 15 && p.received.audioPackets >= 25),
      20000,
      `all ${N} players to receive access units and audio`,
    );
    const aus = players.map((p) => p.received.accessUnits);
    t.diagnostic(`${N} WHEP sessions on UDP ${srv.app.rtcPort}: access units ${aus.join(', ')}; audio packets ${players.map((p) => p.received.audioPackets).join(', ')}`);
    assert.equal(srv.app.hub.clients.list().filter((c) => c.type === 'rtc-play').length, N);
    t.diagnostic(`publisher got ${pub.plis} PLI from the server`);
    assert.ok(pub.plis >= 1, 'the server asked the werift publisher for a keyframe');
  } finally {
    for (const s of sessions) await s.close().catch(() => {});
    await server?.close();
  }
});
