// An in-process WebRTC client built on werift, for tests: WHIP-publishes H.264 + Opus read from files made
// by ffmpeg (packetized with our RFC 6184 packetizer), or WHEP-plays and depacketizes what arrives.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GenericNack,
  MediaStreamTrack,
  type RTCPeerConnection,
  RtcpTransportLayerFeedback,
  RtpHeader,
  RtpPacket,
} from 'werift';
import { NalUnitType, splitAnnexB } from '../../src/codecs/h264.js';
import { packetizeH264 } from '../../src/codecs/rtp/h264-packetizer.js';
import { H264Depacketizer } from '../../src/codecs/rtp/h264-depacketizer.js';
import { OggReader } from '../../src/codecs/rtp/ogg-opus.js';
import { tempDir } from './helpers.js';
import { clientPeer } from './werift-peer.js';

export interface TestMedia {
  /** access units (NAL units without start codes), 15 fps */
  video: Buffer[][];
  /** Opus packets, 20 ms each */
  audio: Buffer[];
}

/** Makes a few seconds of 320x240 15 fps H.264 (a keyframe every second) and 48 kHz Opus with ffmpeg. */
export function makeTestMedia(seconds = 3): TestMedia {
  const dir = tempDir('srs-node-rtc-media-');
  const h264 = join(dir, 'v.h264');
  const ogg = join(dir, 'a.ogg');
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=15:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '15',
    '-x264-params', 'aud=1', '-f', 'h264', h264,
  ]);
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-f', 'ogg', ogg,
  ]);
  const video: Buffer[][] = [];
  for (const n of splitAnnexB(readFileSync(h264))) {
    if ((n[0]! & 0x1f) === NalUnitType.AUD || video.length === 0) video.push([]);
    if ((n[0]! & 0x1f) !== NalUnitType.AUD) video[video.length - 1]!.push(n);
  }
  const audio: Buffer[] = [];
  new OggReader((p) => {
    for (const pkt of p.packets) if (!pkt.subarray(0, 8).toString('latin1').startsWith('Opus')) audio.push(pkt);
  }).push(readFileSync(ogg));
  return { video: video.filter((au) => au.length > 0), audio };
}


export interface WeriftSession {
  pc: RTCPeerConnection;
  status: number;
  answer: string;
  location: string;
  /** WHEP: what arrived */
  received: { videoPackets: number; accessUnits: number; keyframes: number; audioPackets: number; dropped: number; lost: number };
  /** WHIP: PLIs the server sent */
  plis: number;
  /** WHEP: how many times each video sequence number arrived, and the highest seen */
  seqs: Map<number, number>;
  lastSeq: number;
  /** WHEP: sends a generic NACK for these video sequence numbers */
  nack(seqs: number[]): Promise<void>;
  close(): Promise<void>;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** post SRS's JSON API body {sdp, streamurl} (to /rtc/v1/publish/ or /rtc/v1/play/) instead of WHIP/WHEP */
  streamurl?: string;
  /** WHEP: drop this share of the incoming SRTP media packets (never RTCP, DTLS or STUN) to make NACKs happen */
  dropRate?: number;
}

/** Makes the client's own UDP sockets lose a share of incoming RTP, below werift (so its NACKs kick in). */
function loseIncomingRtp(pc: RTCPeerConnection, rate: number, counter: { dropped: number }): void {
  for (const t of pc.iceTransports) {
    const protocols = (t.connection as unknown as { protocols: { transport?: { onData: (d: Buffer, a: unknown) => void } }[] }).protocols;
    for (const p of protocols) {
      const tr = p.transport;
      if (!tr) continue;
      const orig = tr.onData;
      tr.onData = (d, a) => {
        const rtcp = d[1]! >= 192 && d[1]! <= 223; // RTCP packet types 192-223 (RFC 5761)
        if (d[0]! >= 128 && d[0]! <= 191 && !rtcp && Math.random() < rate) {
          counter.dropped++;
          return;
        }
        orig(d, a);
      };
    }
  }
}

async function post(pc: RTCPeerConnection, endpoint: string, opts: PostOptions & { counter?: { dropped: number } }): Promise<{ status: number; answer: string; location: string }> {
  await pc.setLocalDescription(await pc.createOffer());
  const offer = pc.localDescription!.sdp;
  if (opts.dropRate && opts.counter) loseIncomingRtp(pc, opts.dropRate, opts.counter);
  if (opts.streamurl) {
    const r = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...opts.headers },
      body: JSON.stringify({ api: endpoint, tid: 'test', streamurl: opts.streamurl, clientip: null, sdp: offer }),
    });
    const body = (await r.json()) as { code: number; sdp?: string; sessionid?: string; message?: string };
    if (r.status === 200 && body.code === 0 && body.sdp) await pc.setRemoteDescription({ type: 'answer', sdp: body.sdp });
    return { status: r.status, answer: body.sdp ?? body.message ?? '', location: body.sessionid ?? '' };
  }
  const r = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', ...opts.headers },
    body: offer,
  });
  const answer = await r.text();
  if (r.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  return { status: r.status, answer, location: r.headers.get('location') ?? '' };
}

/** Plays `endpoint` (a WHEP URL) and counts what arrives. */
export async function weriftWhep(endpoint: string, opts: PostOptions = {}): Promise<WeriftSession> {
  const pc = clientPeer();
  const received = { videoPackets: 0, accessUnits: 0, keyframes: 0, audioPackets: 0, dropped: 0, lost: 0 };
  const dep = new H264Depacketizer({
    onAccessUnit: (au) => {
      received.accessUnits++;
      received.lost = dep.stats.lostPackets;
      if (au.keyframe) received.keyframes++;
    },
  });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const seqs = new Map<number, number>();
  let videoSsrc = 0;
  const session = { lastSeq: -1 };
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind === 'video') {
        received.videoPackets++;
        const h = rtp.header;
        videoSsrc = h.ssrc;
        seqs.set(h.sequenceNumber, (seqs.get(h.sequenceNumber) ?? 0) + 1);
        session.lastSeq = h.sequenceNumber;
        dep.push({ sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker, payload: rtp.payload }, Date.now());
      } else {
        received.audioPackets++;
      }
    });
  });
  const r = await post(pc, endpoint, { ...opts, counter: received });
  const receiver = pc.getTransceivers().find((t) => t.kind === 'video')!.receiver;
  return Object.assign(session, {
    pc,
    ...r,
    received,
    plis: 0,
    seqs,
    nack: async (lost: number[]) => {
      const fb = new GenericNack({ senderSsrc: receiver.rtcpSsrc, mediaSourceSsrc: videoSsrc, lost });
      await receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback: fb })]);
    },
    close: () => pc.close(),
  });
}

/** Publishes `media` in a loop (real time) to `endpoint` (a WHIP URL) until closed. */
export async function weriftWhip(endpoint: string, media: TestMedia, opts: PostOptions = {}): Promise<WeriftSession> {
  const pc = clientPeer();
  const video = new MediaStreamTrack({ kind: 'video' });
  const audio = new MediaStreamTrack({ kind: 'audio' });
  const vt = pc.addTransceiver(video, { direction: 'sendonly' });
  pc.addTransceiver(audio, { direction: 'sendonly' });
  const session: WeriftSession = {
    pc,
    status: 0,
    answer: '',
    location: '',
    received: { videoPackets: 0, accessUnits: 0, keyframes: 0, audioPackets: 0, dropped: 0, lost: 0 },
    plis: 0,
    seqs: new Map(),
    lastSeq: -1,
    nack: async () => {},
    close: async () => {
      clearInterval(vTimer);
      clearInterval(aTimer);
      await pc.close();
    },
  };
  vt.sender.onPictureLossIndication.subscribe(() => session.plis++);
  let vi = 0;
  let vseq = 0;
  const vTimer = setInterval(() => {
    if (pc.connectionState !== 'connected') return;
    const au = media.video[vi % media.video.length]!;
    const ts = (vi * 6000) >>> 0; // 90 kHz / 15 fps
    vi++;
    const keyframe = au.some((n) => (n[0]! & 0x1f) === NalUnitType.IDR);
    for (const p of packetizeH264(au, { keyframe })) {
      video.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: vseq++ & 0xffff, timestamp: ts, marker: p.marker }), p.payload));
    }
  }, 1000 / 15);
  let ai = 0;
  const aTimer = setInterval(() => {
    if (pc.connectionState !== 'connected') return;
    const pkt = media.audio[ai % media.audio.length]!;
    audio.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: ai & 0xffff, timestamp: (ai * 960) >>> 0 }), pkt));
    ai++;
  }, 20);
  const r = await post(pc, endpoint, opts);
  Object.assign(session, r);
  if (r.status !== 201 && r.status !== 200) await session.close();
  return session;
}

/** The port of the answer's first host candidate. */
export function candidateOf(answer: string): { ip: string; port: number } | null {
  const m = /a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/.exec(answer);
  return m ? { ip: m[1]!, port: Number(m[2]) } : null;
}
