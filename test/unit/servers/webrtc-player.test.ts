// The WHEP player's NACK answers without per-viewer packet copies: the stream's RtpStreamSource numbers its
// video packets and keeps the last VIDEO_HISTORY once for all viewers; a WhepSession maps a NACKed sequence
// number of its own to that index and resends the shared payload with a header built on demand (SSRC,
// payload type, MID and abs-send-time), and werift's per-sender packet records are turned off: checked on
// the real werift RTCRtpSender of a negotiated session, fed a real RTCP NACK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import {
  GenericNack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTP_EXTENSION_URI,
  RtcpTransportLayerFeedback,
  RtpPacket,
  type RtpHeader,
  useAbsSendTime,
  useSdesMid,
  useTransportWideCC,
} from 'werift';
import { FlvDemuxer } from '../../../src/codecs/flv.js';
import type { Frame } from '../../../src/core/frame.js';
import type { Stream } from '../../../src/hub/stream.js';
import { RtpStreamSource, VIDEO_HISTORY, type RtpViewer, type VideoUnit } from '../../../src/servers/webrtc/rtp-source.js';
import { WhepSession } from '../../../src/servers/webrtc/whep-session.js';
import { RtcUdpMux } from '../../../src/servers/webrtc/udp-mux.js';
import { prepareOffer } from '../../../src/servers/webrtc/peer.js';

const fixture = new URL('../../../../test/fixtures/small.flv', import.meta.url).pathname;
const logger = pino({ level: 'silent' });

/** The fixture's video frames: the sequence header first, then access units (the first a keyframe). */
function videoFrames(): { header: Frame; units: Frame[] } {
  const frames: Frame[] = [];
  new FlvDemuxer({ onFrame: (f) => f.type === 'video' && frames.push(f) }).push(readFileSync(fixture));
  const header = frames.find((f) => f.header)!;
  const units = frames.filter((f) => !f.header);
  assert.ok(header && units[0]?.keyframe && units.length > 10, 'the fixture has an H.264 header and a GOP');
  return { header, units };
}

function source(): RtpStreamSource {
  const stream = { key: 'v/live/t', path: '/live/t', addSink() {}, removeSink() {} } as unknown as Stream;
  return new RtpStreamSource(stream, { logger, requestKeyframe() {}, onStopped() {}, track() {} });
}

test('the stream numbers its video packets and keeps the last VIDEO_HISTORY for every viewer', () => {
  const { header, units } = videoFrames();
  const src = source();
  const got: VideoUnit[] = [];
  const viewer: RtpViewer = { connected: true, sendVideo: (u) => got.push(u), sendAudio() {}, needKeyframe() {}, close() {} };
  src.addViewer(viewer);
  src.onFrame(header);
  let total = 0;
  while (total < VIDEO_HISTORY + 300) {
    for (const f of units) src.onFrame(f);
    total = got.reduce((n, u) => n + u.payloads.length, 0);
  }
  let next = 0;
  for (const u of got) {
    assert.equal(u.first, next, 'units number their packets one after another');
    next += u.payloads.length;
  }
  // The newest VIDEO_HISTORY packets are the very payload objects the viewers got, with their timestamps.
  for (const u of got.slice(-20)) {
    u.payloads.forEach((p, k) => {
      const h = src.videoPacket(u.first + k);
      assert.equal(h?.payload, p);
      assert.equal(h?.timestamp, u.timestamp);
    });
  }
  assert.ok(src.videoPacket(total - VIDEO_HISTORY));
  assert.equal(src.videoPacket(total - VIDEO_HISTORY - 1), undefined, 'older packets are gone');
  assert.equal(src.videoPacket(total), undefined, 'not made yet');
  assert.equal(src.videoPacket(-1), undefined);
  src.stop();
  assert.equal(src.videoPacket(total - 1), undefined, 'a stopped source lets go of its history');
});

/** A browser-like WHEP offer from a werift peer: recvonly H.264 (with NACK, PLI, transport-cc, MID and
 * abs-send-time) and Opus. */
async function whepOffer(): Promise<string> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'transport-cc' }],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    },
    headerExtensions: { video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()], audio: [useSdesMid(), useAbsSendTime()] },
  });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

test('a WHEP viewer answers NACKs from the shared history, with its own sequence numbers', async () => {
  const { header, units } = videoFrames();
  const src = source();
  const mux = new RtcUdpMux(logger);
  await mux.listen(0, '127.0.0.1');
  const ctx = { logger, mux, onClosed() {}, track() {} };
  const url = { vhost: '__defaultVhost__', app: 'live', stream: 't', param: '' };
  const s = new WhepSession('127.0.0.1', url, '/rtc/v1/whep/?app=live&stream=t', ctx);
  try {
    // A real negotiation: the session's werift peer connection and its real RTCRtpSenders.
    await s.negotiate(prepareOffer(await whepOffer(), 'play').sdp, ['127.0.0.1']);
    const transceiver = s.pc.getTransceivers().find((t) => t.kind === 'video')!;
    const sender = transceiver.sender;
    const internals = sender as unknown as { rtpCache: unknown[]; senderBWE: { sentInfos: Record<number, unknown>; rtpPacketSent(i: unknown): void } };
    internals.rtpCache[7] = {};
    assert.equal(internals.rtpCache[7], undefined, "werift's sender keeps no packets of its own");
    internals.senderBWE.rtpPacketSent({ wideSeq: 1, size: 100, sendingAtMs: 0, sentAtMs: 0 });
    assert.deepEqual(internals.senderBWE.sentInfos, {}, 'nor a record of each packet for its bandwidth estimate');

    // What leaves werift's sender: the DTLS transport's sendRtp, recorded instead of encrypted (no peer here).
    const sent: RtpPacket[] = [];
    const resent: { payload: Buffer; header: RtpHeader }[] = [];
    const dtls = sender.dtlsTransport as unknown as { state: string; sendRtp(payload: Buffer, h: RtpHeader): Promise<number> };
    dtls.state = 'connected';
    let nacking = false;
    dtls.sendRtp = async (payload, h) => {
      if (nacking) resent.push({ payload, header: h });
      else sent.push(new RtpPacket(h, payload));
      return payload.length;
    };
    const extId = (uri: string) => transceiver.headerExtensions.find((e) => e.uri === uri)?.id;
    const midId = extId(RTP_EXTENSION_URI.sdesMid)!;
    const absId = extId(RTP_EXTENSION_URI.absSendTime)!;
    assert.ok(midId && absId && extId(RTP_EXTENSION_URI.transportWideCC), 'MID, abs-send-time and transport-cc are negotiated');
    const payloadType = sender.codec!.payloadType;
    /** a NACK as werift's RTCP handling of the viewer's feedback receives it */
    const nack = (lost: number[]) => {
      nacking = true;
      (sender as unknown as { handleRtcpPacket(p: unknown): void }).handleRtcpPacket(
        new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: sender.ssrc, lost }) }),
      );
      nacking = false;
    };

    s.connected = true;
    s.source = src;
    src.addViewer(s);
    src.onFrame(header);
    while (sent.length < 700) {
      for (const f of units) src.onFrame(f);
      await new Promise((r) => setImmediate(r)); // werift's sendRtp is async
    }
    const seqs = sent.map((p) => p.header.sequenceNumber);
    seqs.forEach((q, i) => assert.equal(q, (seqs[0]! + i) & 0xffff, 'contiguous sequence numbers'));

    // Recent (werift's former 128) and older packets alike, in any order; a packet not yet sent is not.
    const pick = [sent.length - 1, sent.length - 3, sent.length - 200, sent.length - 650];
    const future = (seqs[seqs.length - 1]! + 1) & 0xffff;
    nack([...pick.map((i) => seqs[i]!), future]);
    await new Promise((r) => setImmediate(r));
    assert.equal(resent.length, pick.length);
    assert.equal(s.retransmitted, pick.length);
    pick.forEach((i, k) => {
      const orig = sent[i]!;
      const r = resent[k]!;
      assert.equal(r.payload, orig.payload, 'the shared payload Buffer is resent');
      assert.equal(r.header.sequenceNumber, orig.header.sequenceNumber);
      assert.equal(r.header.timestamp, orig.header.timestamp);
      assert.equal(r.header.marker, orig.header.marker);
      assert.equal(r.header.ssrc, sender.ssrc);
      assert.equal(r.header.payloadType, payloadType);
      assert.equal(orig.header.ssrc, sender.ssrc);
      assert.deepEqual(r.header.extensions.map((e) => e.id).sort(), [midId, absId].sort(), 'MID and abs-send-time, no transport-wide sequence number');
      assert.equal(r.header.extensions.find((e) => e.id === midId)!.payload.toString(), transceiver.mid);
      assert.equal(r.header.extensions.find((e) => e.id === absId)!.payload.length, 3);
    });

    // A new publish: the viewer waits for a keyframe, its sequence numbers go on, and packets sent before
    // the new keyframe are no longer resent (they were the old publish's).
    s.needKeyframe();
    const before = sent.length;
    for (const f of units.slice(1, 4)) src.onFrame(f);
    await new Promise((r) => setImmediate(r));
    assert.equal(sent.length, before, 'nothing is sent before the keyframe');
    const oldSeq = seqs[before - 5]!;
    for (const f of units) src.onFrame(f);
    await new Promise((r) => setImmediate(r));
    assert.equal(sent[before]!.header.sequenceNumber, (seqs[before - 1]! + 1) & 0xffff);
    resent.length = 0;
    const newSeq = sent[sent.length - 2]!.header.sequenceNumber;
    nack([oldSeq, newSeq]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(resent.map((r) => r.header.sequenceNumber), [newSeq]);
    assert.equal(resent[0]!.payload, sent[sent.length - 2]!.payload);
  } finally {
    s.close('test over');
    await mux.close();
  }
});
