// WHIP in: headless Chromium publishes its fake camera and microphone with WHIP (H.264 + Opus). ffprobe
// reading the stream's HTTP-FLV sees H.264 and AAC (Opus transcoded by FFmpeg), hls.js plays its HLS, and a
// second browser page plays it with WHEP (the server asks the publisher for a keyframe with PLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probe, randomName, sleep, startServer, summarize, waitFor, type TestServer } from './helpers.js';
import { decodeProgress, rtcPages, rtcStats, videoState, whep, whip, type RtcPages } from './webrtc-util.js';

test('Chromium WHIP -> HTTP-FLV (h264+aac), HLS in hls.js, and WHEP in a second page', { timeout: 150_000 }, async (t) => {
  let server: TestServer | null = null;
  let pages: RtcPages | null = null;
  try {
    server = await startServer();
    const srv = server;
    const name = randomName('whip');
    const url = { vhost: '__defaultVhost__', app: 'live', stream: name, param: '' };
    pages = await rtcPages();
    const pub = await pages.open();
    const r = await whip(pub, `${srv.http}/rtc/v1/whip/?app=live&stream=${name}&secret=${srv.secret}`);
    assert.equal(r.status, 201);
    assert.match(r.location, /^\/rtc\/v1\/whip\/\?action=delete&app=live&stream=.+&session=\w+$/);
    assert.match(r.answer, /a=ice-lite/);
    assert.match(r.answer, /a=rtpmap:\d+ H264\/90000/);
    assert.doesNotMatch(r.answer, /VP8|VP9|AV1/, 'the answer carries H.264 only');

    const stream = await waitFor(() => {
      const s = srv.app.hub.get(url);
      return s && s.video && s.audio && s.frames > 60 ? s : null;
    }, 20000, 'video and audio from the WHIP publisher');
    t.diagnostic(`hub: ${stream.video?.profile} ${stream.video?.width}x${stream.video?.height}, audio ${stream.audio?.codec === 10 ? 'AAC' : stream.audio?.codec} ${stream.audio?.sampleRate} Hz`);
    const client = srv.app.hub.clients.list().find((c) => c.type === 'rtc-publish');
    assert.ok(client && client.publish && client.recvBytes > 0, 'the publisher is an rtc-publish client');

    const flv = await probe(`${srv.http}/live/${name}.flv`, ['-read_intervals', '%+2']);
    t.diagnostic(`ffprobe HTTP-FLV: ${summarize(flv.streams)}`);
    assert.deepEqual(flv.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    const v = flv.streams.find((s) => s.codec_type === 'video')!;
    assert.equal(`${v.width}x${v.height}`, '320x240');

    // HLS in hls.js
    await waitFor(async () => (await fetch(`${srv.http}/live/${name}.m3u8`)).ok, 20000, 'the HLS playlist');
    const hls = await pages.openHls(`${srv.http}/live/${name}.m3u8`);
    const t0 = await waitFor(async () => {
      const s = await videoState(hls);
      return s.time > 0.5 ? s.time : 0;
    }, 30000, 'hls.js to play');
    await sleep(2500);
    const hs = await videoState(hls);
    t.diagnostic(`hls.js: currentTime ${t0.toFixed(2)} -> ${hs.time.toFixed(2)}, ${hs.width}x${hs.height}`);
    assert.ok(hs.time - t0 > 1.2, 'hls.js keeps playing');
    assert.deepEqual([hs.width, hs.height], [320, 240]);
    assert.deepEqual(hs.errors, []);
    await hls.close();

    // WHIP -> WHEP across two pages
    const viewer = await pages.open();
    const rv = await whep(viewer, `${srv.http}/rtc/v1/whep/?app=live&stream=${name}`);
    assert.equal(rv.status, 201);
    const s1 = await waitFor(async () => {
      const s = await rtcStats(viewer);
      return s.framesDecoded > 10 && s.audioPackets > 10 ? s : null;
    }, 20000, 'the WHEP viewer to decode the WHIP stream');
    // The viewer decodes what the publisher sends: on a busy machine Chrome's fake camera and encoder slow
    // down (to a few fps), so watch for progress over a longer time rather than a rate over 2 s. (The frames
    // the publisher sent meanwhile are shown, not compared: a starved viewer Chrome drops frames itself.)
    const sent0 = (await rtcStats(pub)).framesSent;
    const p = await decodeProgress(viewer, 30, 20000);
    const s2 = await rtcStats(viewer);
    const ps = await rtcStats(pub);
    const sent = ps.framesSent - sent0;
    t.diagnostic(`WHEP viewer: ${s1.framesDecoded} -> ${p.from} -> ${p.to} frames decoded in ${p.ms} ms (longest stall ${p.longestStallMs} ms) while the publisher sent ${sent}, ${s2.audioPackets} audio packets, ${s2.nackCount} NACK, ${s2.pliCount} PLI; publisher got ${ps.pliReceived} PLI, sent ${ps.framesSent} frames (${ps.videoCodec})`);
    assert.ok(p.to >= p.from + 30, 'the WHEP viewer keeps decoding');
    assert.ok(p.longestStallMs < 5000, 'the WHEP viewer does not freeze');
    assert.ok(s2.audioPackets > s1.audioPackets + 50, 'the WHEP viewer keeps receiving audio');
    assert.ok(ps.pliReceived >= 1, 'the server asked the publisher for keyframes');
    assert.equal(ps.videoCodec, 'video/H264');

    // DELETE ends the publish.
    const del = await fetch(`${srv.http}${r.location}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await waitFor(() => !srv.app.hub.get(url)?.active, 5000, 'the stream to be unpublished');
    assert.equal(srv.app.hub.clients.list().filter((c) => c.type === 'rtc-publish').length, 0);
  } finally {
    await pages?.close();
    await server?.close();
  }
});
