// WHEP from RTMP: ffmpeg publishes RTMP (H.264 + AAC); two headless Chromium viewers play the stream with
// WHEP at the same time; getStats() shows decoded frames growing and Opus audio packets arriving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publish, randomName, sleep, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { rtcPages, rtcStats, whep, type RtcPages } from './webrtc-util.js';

test('ffmpeg RTMP -> two Chromium WHEP viewers decode video and receive audio', { timeout: 120_000 }, async (t) => {
  let server: TestServer | null = null;
  let ff: Proc | null = null;
  let pages: RtcPages | null = null;
  try {
    server = await startServer();
    const name = randomName('whep');
    ff = publish(server.publishUrl(name), { seconds: 40 });
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
    await sleep(2000);
    const [sa, sb] = [await rtcStats(a), await rtcStats(b)];
    t.diagnostic(`viewer A: ${first[0].framesDecoded} -> ${sa.framesDecoded} frames decoded, ${sa.audioPackets} audio packets, ${sa.videoCodec}`);
    t.diagnostic(`viewer B: ${first[1].framesDecoded} -> ${sb.framesDecoded} frames decoded, ${sb.audioPackets} audio packets`);
    assert.ok(sa.framesDecoded > first[0].framesDecoded + 20, 'viewer A keeps decoding');
    assert.ok(sb.framesDecoded > first[1].framesDecoded + 20, 'viewer B keeps decoding');
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
