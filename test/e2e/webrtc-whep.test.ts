// WHEP from RTMP: ffmpeg publishes RTMP (H.264 + AAC); two headless Chromium viewers play the stream with
// WHEP at the same time; getStats() shows decoded frames growing and Opus audio packets arriving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publish, randomName, run, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { decodeProgress, rtcPages, rtcStats, whep, type RtcPages } from './webrtc-util.js';

test('ffmpeg RTMP -> two Chromium WHEP viewers decode video and receive audio', { timeout: 120_000 }, async (t) => {
  let server: TestServer | null = null;
  let ff: Proc | null = null;
  let pages: RtcPages | null = null;
  try {
    server = await startServer();
    const name = randomName('whep');
    ff = publish(server.publishUrl(name), { seconds: 60 });
    const url = { vhost: '__defaultVhost__', app: 'live', stream: name, param: '' };
    await waitFor(() => server!.app.hub.get(url)?.active, 15000, 'the RTMP publish');
    pages = await rtcPages();
    const a = await pages.open();
    const b = await pages.open();
    const endpoint = `${server.http}/rtc/v1/whep/?app=live&stream=${name}`;
    const ra = await whep(a, endpoint);
    assert.equal(ra.status, 201);
    assert.match(ra.location, /^\/rtc\/v1\/whep\/\?action=delete&app=live&stream=.+&session=/);
    assert.match(ra.answer, /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    assert.match(ra.answer, /H264\/90000/);
    assert.match(ra.answer, /opus\/48000/);
    const rb = await whep(b, endpoint);
    assert.equal(rb.status, 201);
    const first = await waitFor(
      async () => {
        const [sa, sb] = [await rtcStats(a), await rtcStats(b)];
        return sa.framesDecoded > 10 && sb.framesDecoded > 10 && sa.audioPackets > 10 && sb.audioPackets > 10 ? [sa, sb] : null;
      },
      20000,
      'both viewers to decode frames and receive audio',
    );
    // Progress over a longer time, not a rate over 2 s: a busy machine slows ffmpeg, the server and Chrome.
    const [pa, pb] = await Promise.all([decodeProgress(a, 40, 20000), decodeProgress(b, 40, 20000)]);
    const [sa, sb] = [await rtcStats(a), await rtcStats(b)];
    t.diagnostic(`viewer A: ${first[0].framesDecoded} -> ${pa.to} frames decoded (${pa.to - pa.from} in ${pa.ms} ms, longest stall ${pa.longestStallMs} ms), ${sa.audioPackets} audio packets, ${sa.videoCodec}`);
    t.diagnostic(`viewer B: ${first[1].framesDecoded} -> ${pb.to} frames decoded (${pb.to - pb.from} in ${pb.ms} ms, longest stall ${pb.longestStallMs} ms), ${sb.audioPackets} audio packets`);
    assert.ok(pa.to >= pa.from + 40, 'viewer A keeps decoding');
    assert.ok(pb.to >= pb.from + 40, 'viewer B keeps decoding');
    assert.ok(pa.longestStallMs < 5000 && pb.longestStallMs < 5000, 'neither viewer freezes');
    assert.ok(sa.audioPackets > first[0].audioPackets + 50, 'viewer A keeps receiving audio');
    assert.equal(sa.videoCodec, 'video/H264');
    const clients = server.app.hub.clients.list().filter((c) => c.type === 'rtc-play');
    assert.equal(clients.length, 2, 'both viewers are listed as rtc-play clients');
    assert.ok(clients.every((c) => c.sendBytes > 10000), 'bytes sent are counted');

    // DELETE on the Location ends the session and the client goes away.
    const del = await fetch(`${server.http}${ra.location}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await waitFor(() => server!.app.hub.clients.list().filter((c) => c.type === 'rtc-play').length === 1, 5000, 'one viewer left');
  } finally {
    await pages?.close();
    ff?.kill();
    await server?.close();
  }
});

test('a stream with B-frames plays over WHEP (its I and P frames) without decoder errors', { timeout: 90_000 }, async (t) => {
  let server: TestServer | null = null;
  let ff: Proc | null = null;
  let pages: RtcPages | null = null;
  try {
    server = await startServer();
    const name = randomName('bframes');
    ff = run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '60',
      '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv',
      server.publishUrl(name),
    ]);
    await waitFor(() => server!.app.hub.list().find((s) => s.url.stream === name && s.frames > 30), 15000, 'the RTMP publish');
    pages = await rtcPages();
    const p = await pages.open();
    await whep(p, `${server.http}/rtc/v1/whep/?app=live&stream=${name}`);
    const s1 = await waitFor(async () => {
      const s = await rtcStats(p);
      return s.framesDecoded > 5 ? s : null;
    }, 20000, 'frames decoded');
    const pr = await decodeProgress(p, 20, 20000);
    const s2 = await rtcStats(p);
    t.diagnostic(`B-frame stream: ${s1.framesDecoded} -> ${pr.to} frames decoded (${pr.to - pr.from} in ${pr.ms} ms, longest stall ${pr.longestStallMs} ms), ${s2.pliCount} PLI sent by Chrome`);
    assert.ok(pr.to >= pr.from + 20, 'its I and P frames keep decoding (about 8 fps of the 25 fps source)');
    assert.ok(pr.longestStallMs < 5000, 'no freeze');
    assert.ok(s2.pliCount <= 1, 'the decoder does not keep asking for keyframes');
  } finally {
    await pages?.close();
    ff?.kill();
    await server?.close();
  }
});
