// An in-process werift client against the real server: WHIP publish (H.264 packetized by our RFC 6184
// packetizer, Opus from an Ogg file) reaches the hub and HTTP-FLV as h264+aac; then many WHEP sessions at
// once, all on the one shared RTC port, receive access units and audio; a viewer losing 5% of its packets
// gets them back after NACK, from the stream's shared packet history (recent and older packets alike:
// werift's own per-sender cache is turned off).
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
    assert.equal(summarize(flv.streams), 'aac, h264 320x240');

    const N = 6;
    const players = await Promise.all(Array.from({ length: N }, () => weriftWhep(`${srv.http}/rtc/v1/whep/?app=live&stream=${name}`)));
    sessions.push(...players);
    for (const p of players) {
      assert.equal(p.status, 201, p.answer);
      assert.equal(candidateOf(p.answer)?.port, srv.app.rtcPort, 'every session uses the shared port');
    }
    // Sessions are told apart on the port by their ICE ufrag: long enough to be unique.
    const ufrags = new Set([pub, ...players].map((p) => /a=ice-ufrag:(\S+)/.exec(p.answer)?.[1]));
    assert.equal(ufrags.size, N + 1);
    for (const u of ufrags) assert.match(u ?? '', /^[a-z0-9]{12}$/);
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

    // A viewer whose network loses 5% of the media packets: its NACKs are answered from the server's packet
    // history, so (nearly) every access unit still arrives whole.
    const lossy = await weriftWhep(`${srv.http}/rtc/v1/whep/?app=live&stream=${name}`, { dropRate: 0.05 });
    sessions.push(lossy);
    await waitFor(() => lossy.received.dropped >= 10 && lossy.received.accessUnits >= 45, 30000, 'the lossy viewer to lose packets and receive 45 access units');
    t.diagnostic(`lossy viewer: ${lossy.received.dropped} media packets dropped, ${lossy.received.lost} never recovered, ${lossy.received.accessUnits} access units`);
    assert.ok(lossy.received.lost <= lossy.received.dropped / 4, 'most lost packets were retransmitted after NACK');

    // NACKs for a packet older than werift's former 128-packet sender cache, and for a recent one, are
    // answered by the server from the stream's history.
    const p0 = players[0]!;
    await waitFor(() => p0.seqs.size > 300, 20000, '300 video packets at a viewer');
    const old = (p0.lastSeq - 250) & 0xffff;
    const recent = (p0.lastSeq - 3) & 0xffff;
    assert.equal(p0.seqs.get(old), 1);
    assert.equal(p0.seqs.get(recent), 1);
    await p0.nack([old, recent]);
    await waitFor(() => p0.seqs.get(old) === 2 && p0.seqs.get(recent) === 2, 3000, `packets ${old} (250 back) and ${recent} (3 back) to be resent`);
    const sid = /[?&]session=([^&]+)/.exec(p0.location)?.[1];
    const s0 = srv.app.hub.clients.list().find((c) => c.id === sid) as unknown as { retransmitted: number } | undefined;
    assert.ok(s0 && s0.retransmitted >= 2, 'the server session counts the packets it resent');
    t.diagnostic(`NACKs for packets 250 and 3 back were answered from the history`);
  } finally {
    for (const s of sessions) await s.close().catch(() => {});
    await server?.close();
  }
});
