// The HTTP side of WebRTC against the real server: candidates from ?eip=, X-Real-Host, Host and CANDIDATE;
// SRS's JSON APIs /rtc/v1/publish/ and /rtc/v1/play/; and bad input (malformed SDP, offers without media or
// without H.264, a wrong secret, DELETE of an unknown session, PATCH, bad JSON, an oversized SDP (413),
// WHEP of an unpublished stream, junk UDP datagrams on the RTC port): each gets a clear error and nothing else is disturbed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { RTCPeerConnection } from 'werift';
import { publish, randomName, sleep, startServer, waitFor, type Proc, type TestServer } from './helpers.js';
import { candidateOf, makeTestMedia, weriftWhep, weriftWhip, type WeriftSession } from './webrtc-werift-client.js';

let server: TestServer;
let ff: Proc;
const live = randomName('api');
const sessions: WeriftSession[] = [];

before(async () => {
  server = await startServer();
  ff = publish(server.publishUrl(live), { seconds: 120 });
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === live && s.frames > 30), 20000, 'the RTMP publish');
});

after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
  ff?.kill();
  await server?.close();
});

/** A real offer from a werift peer (recvonly for WHEP, sendonly for WHIP). */
async function offer(dir: 'recvonly' | 'sendonly'): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] });
  pc.addTransceiver('video', { direction: dir });
  pc.addTransceiver('audio', { direction: dir });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp.replace(/VP8\/90000/, 'H264/90000').replace(/(a=rtpmap:(\d+) H264\/90000\r?\n)/, '$1a=fmtp:$2 packetization-mode=1;profile-level-id=42e01f\r\n');
}

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(server.http + path);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'Content-Type': 'application/sdp', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function deleteLocation(location: string | string[] | undefined): Promise<void> {
  if (typeof location === 'string') await fetch(server.http + location, { method: 'DELETE' });
}

test('the answer candidate comes from ?eip=, else X-Real-Host, else Host', async () => {
  const o = await offer('recvonly');
  const whep = `/rtc/v1/whep/?app=live&stream=${live}`;
  const a = await post(`${whep}&eip=12.34.56.78`, o);
  assert.equal(a.status, 201, a.text);
  assert.deepEqual(candidateOf(a.text), { ip: '12.34.56.78', port: server.app.rtcPort });
  await deleteLocation(a.headers.location);
  const b = await post(whep, o, { 'X-Real-Host': '10.20.30.40:443' });
  assert.equal(b.status, 201, b.text);
  assert.deepEqual(candidateOf(b.text), { ip: '10.20.30.40', port: server.app.rtcPort });
  await deleteLocation(b.headers.location);
  const c = await post(whep, o, { Host: `localhost:${server.app.httpPort}` });
  assert.equal(c.status, 201, c.text);
  assert.deepEqual(candidateOf(c.text), { ip: '127.0.0.1', port: server.app.rtcPort });
  await deleteLocation(c.headers.location);
  const bad = await post(`${whep}&eip=not-an-ip`, o);
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.text).message, /eip=.*not an IP address/);
});

test("SRS's JSON APIs /rtc/v1/play/ and /rtc/v1/publish/ negotiate working sessions", async (t) => {
  const play = await weriftWhep(`${server.http}/rtc/v1/play/`, { streamurl: `webrtc://127.0.0.1/live/${live}` });
  sessions.push(play);
  assert.equal(play.status, 200, play.answer);
  assert.match(play.location, /^\w+$/, 'a sessionid');
  await waitFor(() => play.received.keyframes >= 1 && play.received.audioPackets > 10, 15000, 'media over /rtc/v1/play/');
  const name = randomName('srsapi');
  const pub = await weriftWhip(`${server.http}/rtc/v1/publish/`, makeTestMedia(1), {
    streamurl: `webrtc://127.0.0.1/live/${name}?secret=${server.secret}`,
  });
  sessions.push(pub);
  assert.equal(pub.status, 200, pub.answer);
  await waitFor(() => server.app.hub.list().find((s) => s.url.stream === name && s.active && s.frames > 10), 15000, 'a publish over /rtc/v1/publish/');
  t.diagnostic(`play session ${play.location}: ${play.received.accessUnits} access units; publish session ${pub.location}`);
  const bad = await post('/rtc/v1/play/', '{not json');
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.text).message, /must be JSON/);
  const noUrl = await post('/rtc/v1/play/', JSON.stringify({ sdp: await offer('recvonly') }));
  assert.equal(noUrl.status, 400);
  assert.match(JSON.parse(noUrl.text).message, /streamurl/);
});

test('bad input gets clear errors', async () => {
  const whip = `/rtc/v1/whip/?app=live&stream=${randomName('bad')}&secret=${server.secret}`;
  const cases: [string, string, number, RegExp][] = [
    ['malformed SDP', 'hello, this is not SDP', 400, /malformed SDP offer.*v=0/],
    ['garbage lines', 'v=0\r\nthis line is bad\r\n', 400, /malformed SDP offer: SDP line 2/],
    ['no media', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n', 400, /no audio or video section/],
    ['VP8 only', (await offer('sendonly')).replace(/H264\/90000/, 'VP8/90000'), 400, /no H\.264/],
    ['WHEP-style offer to WHIP', await offer('recvonly'), 400, /recvonly.*must be sendonly/],
  ];
  for (const [what, body, status, re] of cases) {
    const r = await post(whip, body);
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.match(JSON.parse(r.text).message, re, what);
  }
  const wrong = await post(`/rtc/v1/whip/?app=live&stream=${randomName('bad')}&secret=wrong`, await offer('sendonly'));
  assert.equal(wrong.status, 403, wrong.text);
  assert.match(JSON.parse(wrong.text).message, /secret/i);
  const noStream = await post('/rtc/v1/whip/?app=live', await offer('sendonly'));
  assert.equal(noStream.status, 400);
  assert.match(JSON.parse(noStream.text).message, /stream=<name>/);

  const del = await fetch(`${server.http}/rtc/v1/whip/?action=delete&app=live&stream=x&session=nosuchsession`, { method: 'DELETE' });
  assert.equal(del.status, 404);
  assert.match(((await del.json()) as { message: string }).message, /no WebRTC session "nosuchsession"/);
  const patch = await fetch(`${server.http}/rtc/v1/whip/?app=live&stream=x`, { method: 'PATCH', body: 'a=candidate:1' });
  assert.equal(patch.status, 405);
  assert.match(((await patch.json()) as { message: string }).message, /trickle ICE/);
  const pre = await fetch(`${server.http}/rtc/v1/whep/`, { method: 'OPTIONS' });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  const left = server.app.hub.clients.list().filter((c) => c.type === 'rtc-publish' && c.url.stream.startsWith('bad'));
  assert.equal(left.length, 0, 'no session survived a refusal');
});

/** POSTs `size` bytes of an SDP-looking body, declared (Content-Length) or chunked, and reads the answer. */
function postHuge(path: string, size: number, chunked: boolean): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(server.http + path);
    const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
    if (!chunked) headers['Content-Length'] = String(size);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    // The server may close the connection once it has answered, before all of the body is sent; closed
    // without an answer is status 0.
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    req.on('close', () => {
      if (!answered) resolve({ status: 0, text: 'the connection closed without an answer', headers: {} });
    });
    req.setTimeout(15000, () => req.destroy());
    const line = Buffer.from('a=x-padding:' + 'A'.repeat(1000) + '\r\n');
    let sent = 0;
    const write = () => {
      while (sent < size) {
        const n = Math.min(line.length, size - sent);
        sent += n;
        if (!req.write(line.subarray(0, n))) return void req.once('drain', write);
      }
      req.end();
    };
    req.write('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n');
    write();
  });
}

test('an oversized SDP gets 413 with the limit, on WHIP, WHEP and the JSON APIs', { timeout: 60_000 }, async () => {
  const paths = [
    `/rtc/v1/whip/?app=live&stream=${randomName('big')}&secret=${server.secret}`,
    `/rtc/v1/whep/?app=live&stream=${live}`,
    '/rtc/v1/play/',
    '/rtc/v1/publish/',
  ];
  for (const path of paths) {
    for (const chunked of [false, true]) {
      const r = await postHuge(path, 200 * 1024, chunked);
      assert.equal(r.status, 413, `${path} (${chunked ? 'chunked' : 'Content-Length'}): ${r.text}`);
      const body = JSON.parse(r.text) as { code: number; message: string };
      assert.equal(body.code, 413);
      assert.match(body.message, /larger than the limit of 65536 bytes \(64 KiB\)/);
      assert.equal(r.headers['access-control-allow-origin'], '*');
    }
  }
  // A body just under the limit is read (and refused for what it is, not for its size).
  const under = await postHuge(paths[0]!, 60 * 1024, false);
  assert.equal(under.status, 400, under.text);
  // The server still answers, and no session was left behind.
  const ok = await post(`/rtc/v1/whep/?app=live&stream=${live}`, await offer('recvonly'));
  assert.equal(ok.status, 201, ok.text);
  await deleteLocation(ok.headers.location);
  assert.equal(server.app.hub.clients.list().filter((c) => c.url.stream.startsWith('big')).length, 0);
});

test('WHEP of an unpublished stream waits a few seconds, then 404', async () => {
  const t0 = Date.now();
  const r = await post(`/rtc/v1/whep/?app=live&stream=${randomName('none')}`, await offer('recvonly'));
  const waited = Date.now() - t0;
  assert.equal(r.status, 404);
  assert.ok(waited >= 2500, `waited ${waited} ms`);
  assert.match(JSON.parse(r.text).message, /is not published; publish it first/);
});

test('junk UDP datagrams on the RTC port disturb nobody', async (t) => {
  const viewer = await weriftWhep(`${server.http}/rtc/v1/whep/?app=live&stream=${live}`);
  sessions.push(viewer);
  assert.equal(viewer.status, 201);
  await waitFor(() => viewer.received.accessUnits > 5, 15000, 'the viewer to receive');
  const ufrag = /a=ice-ufrag:(\S+)/.exec(viewer.answer)![1]!;
  const sock = createSocket('udp4');
  const sendJunk = (b: Buffer) => new Promise<void>((r) => sock.send(b, server.app.rtcPort, '127.0.0.1', () => r()));
  const stun = (user: string) => {
    const u = Buffer.from(user);
    const pad = (4 - (u.length % 4)) % 4;
    const attrs = Buffer.concat([Buffer.from([0, 6, 0, u.length]), u, Buffer.alloc(pad), Buffer.from([0, 8, 0, 20]), randomBytes(20)]);
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(attrs.length, 2);
    h.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(h, 8);
    return Buffer.concat([h, attrs]);
  };
  const before = viewer.received.accessUnits;
  for (let i = 0; i < 200; i++) {
    await sendJunk(randomBytes(1 + (i % 300)));
    if (i % 10 === 0) {
      await sendJunk(stun('nosuchufrag:x')); // unknown session
      await sendJunk(stun(`${ufrag}:x`)); // a live session's ufrag, but a wrong MESSAGE-INTEGRITY
      await sendJunk(Buffer.concat([Buffer.from([22, 254, 253]), randomBytes(60)])); // DTLS from a stranger
      await sendJunk(Buffer.concat([Buffer.from([0x80, 96]), randomBytes(100)])); // RTP from a stranger
    }
  }
  sock.close();
  // ... and junk from the viewer's own address (bound to its session): werift drops what fails DTLS/SRTP.
  const conn = viewer.pc.iceTransports[0]!.connection as unknown as { nominated?: { protocol: { transport: { socket: ReturnType<typeof createSocket> } } } };
  const own = conn.nominated!.protocol.transport.socket;
  for (let i = 0; i < 100; i++) {
    const junk = [
      Buffer.concat([Buffer.from([23, 254, 253]), randomBytes(50)]),
      Buffer.concat([Buffer.from([0x80, 0xe0]), randomBytes(100)]),
      Buffer.concat([Buffer.from([0x80, 200]), randomBytes(40)]),
      randomBytes(30),
    ][i % 4]!;
    own.send(junk, server.app.rtcPort, '127.0.0.1');
  }
  await sleep(1500);
  t.diagnostic(`viewer kept receiving: ${before} -> ${viewer.received.accessUnits} access units during the junk`);
  assert.ok(viewer.received.accessUnits > before + 10, 'the existing session kept receiving');
  const fresh = await weriftWhep(`${server.http}/rtc/v1/whep/?app=live&stream=${live}`);
  sessions.push(fresh);
  assert.equal(fresh.status, 201);
  await waitFor(() => fresh.received.keyframes >= 1, 15000, 'a new session after the junk');
});

test('CANDIDATE sets the candidate; ?eip= still wins', async () => {
  const other = await startServer({ CANDIDATE: '198.51.100.9' });
  const name = randomName('cand');
  let pub: WeriftSession | null = null;
  try {
    pub = await weriftWhip(`${other.http}/rtc/v1/whip/?app=live&stream=${name}&secret=${other.secret}`, makeTestMedia(1));
    assert.equal(pub.status, 201, pub.answer);
    assert.deepEqual(candidateOf(pub.answer), { ip: '198.51.100.9', port: other.app.rtcPort });
    await pub.close();
    pub = await weriftWhip(`${other.http}/rtc/v1/whip/?app=live&stream=${randomName('cand')}&secret=${other.secret}&eip=203.0.113.5`, makeTestMedia(1));
    assert.equal(candidateOf(pub.answer)?.ip, '203.0.113.5');
  } finally {
    await pub?.close();
    await other.close();
  }
});
