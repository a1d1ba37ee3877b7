// RTSP codec: requests written, responses and server requests read across chunk boundaries with interleaved
// RTP frames between them, limits; Basic and Digest auth against RFC 2617 and RFC 7616's worked examples and
// GStreamer's challenge; Transport, Session, RTP-Info and control URLs; the tracks of GStreamer's DESCRIBE
// answers (H.265 + AAC, H.264); and fast-check: random, truncated and huge-length input only ever gives an
// RtspError (reader) or a value (header parsers), never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authorization, digestResponse, parseChallenges, pickChallenge } from '../../../src/codecs/rtsp/auth.js';
import { parsePublic, parseRtpInfo, parseSession, parseTransport, resolveControl, sameControl, writeTransport } from '../../../src/codecs/rtsp/headers.js';
import {
  RtspError,
  RtspReader,
  header,
  headers,
  interleave,
  serializeRequest,
  type InterleavedFrame,
  type RtspRequest,
  type RtspResponse,
} from '../../../src/codecs/rtsp/message.js';
import { readPresentation } from '../../../src/codecs/rtsp/tracks.js';
import { SdpError } from '../../../src/codecs/rtp/sdp.js';

/** GStreamer 1.22's RTSP server answering DESCRIBE for rtph265pay + rtpmp4gpay (captured). */
const GST_H265_AAC =
  'RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Base: rtsp://127.0.0.1:18556/cam/\r\nServer: GStreamer RTSP server\r\nDate: Wed, 02 Dec 2026 01:10:19 GMT\r\nContent-Length: 829\r\n\r\nv=0\r\no=- 7195959997862080922 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\ni=rtsp-server\r\nt=0 0\r\na=tool:GStreamer\r\na=type:broadcast\r\na=control:*\r\na=range:npt=now-\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H265/90000\r\na=framerate:25\r\na=fmtp:96 sprop-vps=QAEMAf//BAgAAAMAmAgAAAMAADy6AkA=;sprop-sps=QgEBBAgAAAMAmAgAAAMAADyQAUEB4ilLdJSYX/4AAgAC1BgYGBAAAAMAEAAAAwGQgA==;sprop-pps=RAHAcDBgMSA=\r\na=control:stream=0\r\na=ts-refclk:local\r\na=mediaclk:sender\r\na=ssrc:3594977383 cname:user1432400644@host-d717f971\r\nm=audio 0 RTP/AVP 97\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\na=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=119056e500;sizelength=13;indexlength=3;indexdeltalength=3\r\na=control:stream=1\r\na=ts-refclk:local\r\na=mediaclk:sender\r\na=ssrc:2424762434 cname:user1432400644@host-d717f971\r\n';

/** GStreamer's 401 to a DESCRIBE without credentials (captured). */
const GST_401 =
  'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm="GStreamer RTSP Server", nonce="c9aad6ba2730c394"\r\nServer: GStreamer RTSP server\r\nDate: Wed, 02 Dec 2026 01:10:19 GMT\r\n\r\n';

/** A typical camera's H.264 SDP (absolute control URLs, sprop-parameter-sets, a G.711 track we do not read). */
const CAMERA_H264 = [
  'v=0',
  'o=- 1 1 IN IP4 192.168.1.10',
  's=Media Presentation',
  't=0 0',
  'a=control:rtsp://192.168.1.10:554/Streaming/Channels/101/',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z00AKp2oHgCJ+WbgICAgQA==,aO48gA==',
  'a=control:rtsp://192.168.1.10:554/Streaming/Channels/101/trackID=1',
  'm=audio 0 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=control:rtsp://192.168.1.10:554/Streaming/Channels/101/trackID=2',
  '',
].join('\r\n');

function readAll(chunks: Buffer[]): { responses: RtspResponse[]; requests: RtspRequest[]; frames: InterleavedFrame[] } {
  const out = { responses: [] as RtspResponse[], requests: [] as RtspRequest[], frames: [] as InterleavedFrame[] };
  const r = new RtspReader({ onResponse: (x) => out.responses.push(x), onRequest: (x) => out.requests.push(x), onFrame: (f) => out.frames.push({ ...f, data: Buffer.from(f.data) }) });
  for (const c of chunks) r.push(c);
  return out;
}

test('a request is written with CSeq, headers and Content-Length; CR/LF injection is refused', () => {
  const b = serializeRequest({ method: 'DESCRIBE', url: 'rtsp://h/cam', headers: [['CSeq', '2'], ['Accept', 'application/sdp']] });
  assert.equal(b.toString(), 'DESCRIBE rtsp://h/cam RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n');
  const withBody = serializeRequest({ method: 'SET_PARAMETER', url: 'rtsp://h/cam', headers: [['CSeq', '3']], body: Buffer.from('a: b\r\n') });
  assert.match(withBody.toString(), /Content-Length: 6\r\n\r\na: b\r\n$/);
  assert.throws(() => serializeRequest({ method: 'OPTIONS', url: 'rtsp://h/x\r\nEvil: 1', headers: [] }), RtspError);
  assert.throws(() => serializeRequest({ method: 'OPTIONS', url: 'rtsp://h/x', headers: [['X', 'a\r\nEvil: 1']] }), RtspError);
  assert.throws(() => serializeRequest({ method: 'get me', url: 'rtsp://h/x', headers: [] }), RtspError);
});

test('responses, a server request and interleaved frames come out in order, whatever the chunking', () => {
  const rtp = Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa]);
  const stream = Buffer.concat([
    Buffer.from(GST_H265_AAC),
    interleave(0, rtp),
    interleave(1, Buffer.alloc(0)),
    Buffer.from('GET_PARAMETER rtsp://127.0.0.1/cam RTSP/1.0\r\nCSeq: 9\r\n\r\n'),
    Buffer.from('\r\n'), // a stray line break some servers send
    Buffer.from(GST_401),
  ]);
  for (const size of [1, 2, 7, 64, stream.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
    const out = readAll(chunks);
    assert.equal(out.responses.length, 2, `chunks of ${size}`);
    assert.equal(out.responses[0]!.status, 200);
    assert.equal(header(out.responses[0]!, 'content-base'), 'rtsp://127.0.0.1:18556/cam/');
    assert.equal(out.responses[0]!.body.length, 829);
    assert.equal(out.responses[1]!.status, 401);
    assert.equal(out.responses[1]!.reason, 'Unauthorized');
    assert.deepEqual(headers(out.responses[1]!, 'WWW-Authenticate'), ['Digest realm="GStreamer RTSP Server", nonce="c9aad6ba2730c394"']);
    assert.deepEqual(out.frames.map((f) => [f.channel, f.data.length]), [[0, 13], [1, 0]]);
    assert.deepEqual(out.frames[0]!.data, rtp);
    assert.equal(out.requests.length, 1);
    assert.equal(out.requests[0]!.method, 'GET_PARAMETER');
    assert.equal(header(out.requests[0]!, 'cseq'), '9');
  }
});

test('limits: a huge Content-Length, an endless header, bytes that are not RTSP', () => {
  assert.throws(() => readAll([Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n')]), /more than the 1048576 accepted/);
  assert.throws(() => readAll([Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n')]), /not a number/);
  assert.throws(() => readAll([Buffer.from('RTSP/1.0 200 OK\r\nX: ' + 'a'.repeat(70000))]), /longer than 65536/);
  assert.throws(() => readAll([Buffer.from([0x00, 0x01, 0x02])]), /neither RTSP nor an interleaved frame/);
  assert.throws(() => readAll([Buffer.from('HTTP/1.1 200 OK\r\n\r\n')]), /not an RTSP status or request line/);
  assert.throws(() => readAll([Buffer.from('RTSP/1.0 200 OK\r\nno colon here\r\n\r\n')]), /has no name/);
  // An interleaved frame of the largest length waits for its bytes without failing.
  const r = new RtspReader({ onResponse: () => assert.fail('no response') });
  r.push(Buffer.from([0x24, 0, 0xff, 0xff, 1, 2, 3]));
  assert.equal(r.buffered, 7);
  // After a failure the reader keeps failing (the connection is to be closed).
  const bad = new RtspReader({ onResponse: () => undefined });
  assert.throws(() => bad.push(Buffer.from('garbage garbage\r\n\r\n')), RtspError);
  assert.throws(() => bad.push(Buffer.from(GST_401)), RtspError);
});

test('Digest: RFC 2617 3.5 (MD5, qop=auth) and RFC 7616 3.9.1 (MD5 and SHA-256) worked examples', () => {
  const [c2617] = parseChallenges(['Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"']);
  assert.equal(c2617!.scheme, 'digest');
  assert.equal(
    digestResponse(c2617!, { user: 'Mufasa', password: 'Circle Of Life' }, { method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: '0a4f113b', qop: 'auth' }),
    '6629fae49393a05397450978507c4ef1',
  );
  const challenges = parseChallenges([
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  ]);
  const inp = { method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', qop: 'auth' };
  const cred = { user: 'Mufasa', password: 'Circle of Life' };
  assert.equal(digestResponse(challenges[0]!, cred, inp), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  assert.equal(digestResponse(challenges[1]!, cred, inp), '8ca523f5e9506fed4657c9700eebdbec');
  assert.equal(pickChallenge(challenges), challenges[0], 'SHA-256 is preferred');
  const h = authorization(challenges[0]!, cred, { method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: inp.cnonce });
  assert.match(h, /^Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/);
  assert.match(h, /response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/);
  assert.match(h, /algorithm=SHA-256, opaque="FQhe[^"]+", qop=auth, nc=00000001, cnonce="f2\/wE4q/);
});

test("Digest without qop (GStreamer's challenge), Basic, and challenges that cannot be answered", () => {
  const out = readAll([Buffer.from(GST_401)]);
  const c = pickChallenge(parseChallenges(headers(out.responses[0]!, 'www-authenticate')))!;
  assert.equal(c.params.get('realm'), 'GStreamer RTSP Server');
  const h = authorization(c, { user: 'admin', password: 'secret' }, { method: 'DESCRIBE', uri: 'rtsp://127.0.0.1:8554/cam', nc: 1 });
  // RFC 2069 form: MD5(MD5(user:realm:pass):nonce:MD5(method:uri))
  assert.match(h, /^Digest username="admin", realm="GStreamer RTSP Server", nonce="c9aad6ba2730c394", uri="rtsp:\/\/127.0.0.1:8554\/cam", response="[0-9a-f]{32}"$/);
  const basic = pickChallenge(parseChallenges(['Basic realm="cam"']))!;
  assert.equal(authorization(basic, { user: 'a', password: 'b:c' }, { method: 'X', uri: 'u', nc: 1 }), `Basic ${Buffer.from('a:b:c').toString('base64')}`);
  // Several challenges in one header, quoted commas and escapes.
  const many = parseChallenges(['Basic realm="a,b", Digest realm="r \\"q\\"", nonce=abc, algorithm=MD5-sess']);
  assert.deepEqual(many.map((x) => x.scheme), ['basic', 'digest']);
  assert.equal(many[0]!.params.get('realm'), 'a,b');
  assert.equal(many[1]!.params.get('realm'), 'r "q"');
  assert.equal(pickChallenge(many), many[1]);
  assert.equal(pickChallenge(parseChallenges(['Digest realm="x", nonce="y", algorithm=SHA-512-256'])), null, 'an algorithm we cannot answer');
  assert.equal(pickChallenge(parseChallenges(['Negotiate abc'])), null);
});

test('Transport, Session, RTP-Info, Public and control URLs', () => {
  assert.equal(writeTransport({ tcp: true, channels: [0, 1] }), 'RTP/AVP/TCP;unicast;interleaved=0-1');
  assert.equal(writeTransport({ tcp: false, ports: [5000, 5001] }), 'RTP/AVP;unicast;client_port=5000-5001');
  assert.deepEqual(parseTransport('RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=0A0B0C0D;mode="PLAY"'), { protocol: 'RTP/AVP/TCP', unicast: true, interleaved: [2, 3], ssrc: 0x0a0b0c0d });
  assert.deepEqual(parseTransport('RTP/AVP/UDP;unicast;client_port=5000-5001;server_port=6970-6971;source=10.0.0.2'), {
    protocol: 'RTP/AVP',
    unicast: true,
    clientPort: [5000, 5001],
    serverPort: [6970, 6971],
    source: '10.0.0.2',
  });
  assert.equal(parseTransport('RAW/RAW/UDP;unicast'), null);
  assert.equal(parseTransport('RTP/AVP;interleaved=1-999')!.interleaved, undefined, 'channel out of range');
  assert.deepEqual(parseSession('47112344;timeout=30'), { id: '47112344', timeout: 30 });
  assert.deepEqual(parseSession('abc'), { id: 'abc', timeout: 60 });
  assert.equal(parseSession(''), null);
  assert.deepEqual(parseRtpInfo('url=rtsp://h/cam/stream=0;seq=100;rtptime=4000000000, url=rtsp://h/cam/stream=1;seq=7;rtptime=12'), [
    { url: 'rtsp://h/cam/stream=0', seq: 100, rtptime: 4000000000 },
    { url: 'rtsp://h/cam/stream=1', seq: 7, rtptime: 12 },
  ]);
  assert.deepEqual([...parsePublic('OPTIONS, DESCRIBE, get_parameter')], ['OPTIONS', 'DESCRIBE', 'GET_PARAMETER']);
  assert.equal(resolveControl('rtsp://h/cam/', 'stream=0'), 'rtsp://h/cam/stream=0');
  assert.equal(resolveControl('rtsp://h/cam', 'trackID=1'), 'rtsp://h/cam/trackID=1');
  assert.equal(resolveControl('rtsp://h/cam', '*'), 'rtsp://h/cam');
  assert.equal(resolveControl('rtsp://h/cam', 'rtsp://other/x'), 'rtsp://other/x');
  assert.ok(sameControl('rtsp://u:p@h/cam/stream=0/', 'rtsp://h/cam/stream=0'));
  assert.ok(sameControl('stream=1', 'rtsp://h/cam/stream=1'));
  assert.ok(!sameControl('rtsp://h/cam/stream=1', 'rtsp://h/cam/stream=0'));
});

test("GStreamer's H.265 + AAC description: control URLs, VPS/SPS/PPS, AAC config and AU header layout", () => {
  const r = readAll([Buffer.from(GST_H265_AAC)]).responses[0]!;
  const p = readPresentation(r.body.toString(), header(r, 'content-base')!);
  assert.equal(p.name, 'Session streamed with GStreamer');
  assert.equal(p.tracks.length, 2);
  const [v, a] = p.tracks;
  assert.equal(v!.codec, 'h265');
  assert.equal(v!.control, 'rtsp://127.0.0.1:18556/cam/stream=0');
  assert.equal(v!.clockRate, 90000);
  if (v!.codec !== 'h265') throw new Error('h265');
  assert.equal((v!.vps[0]![0]! >> 1) & 0x3f, 32);
  assert.equal((v!.sps[0]![0]! >> 1) & 0x3f, 33);
  assert.equal((v!.pps[0]![0]! >> 1) & 0x3f, 34);
  assert.equal(a!.codec, 'aac');
  if (a!.codec !== 'aac') throw new Error('aac');
  assert.equal(a!.control, 'rtsp://127.0.0.1:18556/cam/stream=1');
  assert.equal(a!.channels, 2);
  assert.equal(a!.params.config.toString('hex'), '119056e500');
  assert.deepEqual([a!.params.sizeLength, a!.params.indexLength, a!.params.indexDeltaLength, a!.params.mode], [13, 3, 3, 'AAC-hbr']);
});

test('a camera description: H.264 sprop-parameter-sets, absolute controls, G.711 named as not read', () => {
  const p = readPresentation(CAMERA_H264, 'rtsp://192.168.1.10:554/Streaming/Channels/101');
  assert.equal(p.tracks.length, 1);
  const v = p.tracks[0]!;
  if (v.codec !== 'h264') throw new Error('h264');
  assert.equal(v.control, 'rtsp://192.168.1.10:554/Streaming/Channels/101/trackID=1');
  assert.equal(v.sps.length, 1);
  assert.equal(v.sps[0]![0]! & 0x1f, 7);
  assert.equal(v.pps[0]![0]! & 0x1f, 8);
  assert.equal(p.others.length, 1);
  assert.match(p.others[0]!.why, /audio in PCMU\/8000/);
  // AAC without config= is named as unreadable, not dropped silently.
  const noConfig = readPresentation('v=0\r\ns=x\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 mpeg4-generic/44100/2\r\na=fmtp:97 mode=AAC-hbr;sizelength=13\r\n', 'rtsp://h/x');
  assert.equal(noConfig.tracks.length, 0);
  assert.match(noConfig.others[0]!.why, /no AudioSpecificConfig/);
  assert.throws(() => readPresentation('not an sdp', 'rtsp://h/'), SdpError);
});

const RUNS = 1000;

test('fast-check: the reader gives messages or an RtspError on random, truncated and mutated input', () => {
  const valid = [Buffer.from(GST_H265_AAC), Buffer.from(GST_401), interleave(3, Buffer.alloc(40, 1))];
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([v, n]) => v.subarray(0, n % (v.length + 1))),
    fc
      .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }))
      .map(([v, flips]) => {
        const b = Buffer.from(v);
        for (const [i, x] of flips) b[i % b.length] = x;
        return b;
      }),
    fc.tuple(fc.constantFrom('RTSP/1.0 200 OK\r\n', 'OPTIONS * RTSP/1.0\r\n'), fc.bigInt({ min: 0n, max: 2n ** 64n })).map(([l, n]) => Buffer.from(`${l}Content-Length: ${n}\r\n\r\n`)),
  );
  fc.assert(
    fc.property(input, fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
      const r = new RtspReader({ onResponse: () => undefined, onRequest: () => undefined, onFrame: () => undefined }, { maxBodyBytes: 4096, maxHeaderBytes: 2048 });
      try {
        for (let i = 0; i < bytes.length; i += chunk) r.push(bytes.subarray(i, i + chunk));
      } catch (e) {
        if (!(e instanceof RtspError)) throw e;
      }
      // memory stays bounded by what was received
      assert.ok(r.buffered <= bytes.length);
    }),
    { numRuns: RUNS },
  );
});

test('fast-check: the header parsers and the SDP reader return or throw SdpError on any text', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.constantFrom('Digest', 'Basic', 'realm=', '"', ',', ' ', 'nonce', '=', '\\', 'x', ';', 'url=', 'seq=', 'rtptime=', '-', '99999999999', 'interleaved=', 'client_port='), { maxLength: 30 }).map((a) => a.join('')),
  );
  fc.assert(
    fc.property(text, (s) => {
      const ch = parseChallenges([s]);
      const c = pickChallenge(ch);
      if (c) authorization(c, { user: 'u', password: 'p' }, { method: 'DESCRIBE', uri: 'rtsp://h/', nc: 1, cnonce: 'x' });
      parseTransport(s);
      parseSession(s);
      for (const i of parseRtpInfo(s)) assert.ok(i.rtptime === undefined || (i.rtptime >= 0 && i.rtptime <= 0xffffffff));
      parsePublic(s);
    }),
    { numRuns: RUNS },
  );
  const sdpLines = fc.array(
    fc.oneof(
      fc.constantFrom('m=video 0 RTP/AVP 96', 'm=audio 0 RTP/AVP 97', 'a=rtpmap:96 H264/90000', 'a=rtpmap:96 H265/90000', 'a=rtpmap:97 mpeg4-generic/48000/2', 'a=control:stream=0'),
      fc.string({ maxLength: 60 }).map((x) => `a=fmtp:97 ${x}`),
      fc.string({ maxLength: 60 }).map((x) => `a=fmtp:96 sprop-parameter-sets=${x}`),
      fc.string({ maxLength: 40 }),
    ),
    { maxLength: 12 },
  );
  fc.assert(
    fc.property(sdpLines, (lines) => {
      try {
        readPresentation(['v=0', ...lines].join('\r\n'), 'rtsp://h/cam');
      } catch (e) {
        if (!(e instanceof SdpError)) throw e;
      }
    }),
    { numRuns: RUNS },
  );
});
