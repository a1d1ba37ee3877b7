// Helpers for the WebRTC end-to-end tests: a test page with WHIP/WHEP clients written against the browser's
// RTCPeerConnection (as a player page would be), and small readers of getStats().
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, pageServer } from './browser.js';

/** The page's script: window.whip(url, opts) publishes the fake camera+mic; window.whep(url) plays. */
const PAGE = `<!doctype html><html><body><script>
async function negotiate(pc, url) {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer.sdp });
  const text = await r.text();
  if (r.status !== 201) throw new Error('HTTP ' + r.status + ': ' + text);
  window.location_ = r.headers.get('Location');
  window.answeredAt = performance.now();
  window.iceHistory = [];
  pc.addEventListener('iceconnectionstatechange', () => {
    window.iceHistory.push(pc.iceConnectionState + '@' + Math.round(performance.now() - window.answeredAt));
    if (!window.iceMs && (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed')) window.iceMs = performance.now() - window.answeredAt;
  });
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
  return { status: r.status, location: window.location_, answer: text };
}
window.whip = async (url) => {
  const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240, frameRate: 15 }, audio: true });
  const pc = new RTCPeerConnection();
  for (const t of media.getTracks()) pc.addTransceiver(t, { direction: 'sendonly' });
  window.pc = pc;
  return negotiate(pc, url);
};
window.whep = async (url) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const v = document.createElement('video');
  v.muted = true; v.autoplay = true; v.playsInline = true;
  document.body.appendChild(v);
  pc.ontrack = (e) => { v.srcObject = e.streams[0] || new MediaStream([e.track]); };
  window.pc = pc;
  return negotiate(pc, url);
};
window.rtcStats = async () => {
  const out = { state: window.pc ? window.pc.connectionState : 'none', framesDecoded: 0, videoPackets: 0, audioPackets: 0,
    framesSent: 0, videoBytesSent: 0, audioBytesSent: 0, nackCount: 0, pliCount: 0, pliReceived: 0, videoCodec: '',
    iceState: window.pc ? (window.iceHistory || []).join(' ') || window.pc.iceConnectionState : 'none', iceMs: window.iceMs || 0, pair: '', checksSent: 0, checksAnswered: 0 };
  if (!window.pc) return out;
  const s = await window.pc.getStats();
  const codecs = {};
  s.forEach((r) => { if (r.type === 'codec') codecs[r.id] = r.mimeType; });
  s.forEach((r) => {
    if (r.type === 'candidate-pair') { out.checksSent += r.requestsSent || 0; out.checksAnswered += r.responsesReceived || 0; }
    if (r.type === 'transport' && r.selectedCandidatePairId) {
      const p = s.get(r.selectedCandidatePairId);
      const l = p && s.get(p.localCandidateId), m = p && s.get(p.remoteCandidateId);
      if (l && m) out.pair = l.address + ':' + l.port + ' -> ' + m.address + ':' + m.port;
    }
  });
  s.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') { out.framesDecoded = r.framesDecoded || 0; out.videoPackets = r.packetsReceived || 0; out.nackCount = r.nackCount || 0; out.pliCount = r.pliCount || 0; out.videoCodec = codecs[r.codecId] || ''; }
    if (r.type === 'inbound-rtp' && r.kind === 'audio') out.audioPackets = r.packetsReceived || 0;
    if (r.type === 'outbound-rtp' && r.kind === 'video') { out.framesSent = r.framesEncoded || 0; out.videoBytesSent = r.bytesSent || 0; out.pliReceived = r.pliCount || 0; out.videoCodec = codecs[r.codecId] || out.videoCodec; }
    if (r.type === 'outbound-rtp' && r.kind === 'audio') out.audioBytesSent = r.bytesSent || 0;
  });
  return out;
};
</script></body></html>`;

/** hls.js playing ?src=; window.errors collects fatal errors. */
const HLS_PAGE = `<!doctype html><video id="v" muted autoplay playsinline></video>
<script src="/lib/hls.min.js"></script>
<script>
  window.errors = [];
  const v = document.getElementById('v');
  const hls = new Hls({ liveSyncDurationCount: 2 });
  hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.errors.push(d.type + ':' + d.details); });
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(v);
  v.play().catch(() => {});
</script>`;

export interface RtcStats {
  state: string;
  framesDecoded: number;
  videoPackets: number;
  audioPackets: number;
  framesSent: number;
  videoBytesSent: number;
  audioBytesSent: number;
  nackCount: number;
  pliCount: number;
  /** publisher side: PLIs the server sent */
  pliReceived: number;
  videoCodec: string;
  /** ICE connection states so far, "state@ms ..." (ms from the answer) */
  iceState: string;
  /** ms from the answer's arrival to ICE connected (0 until then) */
  iceMs: number;
  /** the selected candidate pair, "local:port -> remote:port" */
  pair: string;
  /** STUN binding requests sent and answered over all candidate pairs */
  checksSent: number;
  checksAnswered: number;
}

export interface NegotiateResult {
  status: number;
  location: string;
  answer: string;
}

export interface RtcPages {
  browser: Browser;
  open(): Promise<Page>;
  /** a page playing `src` with hls.js */
  openHls(src: string): Promise<Page>;
  close(): Promise<void>;
}

/** A browser plus the page server; open() gives a page with whip/whep/rtcStats loaded. */
export async function rtcPages(): Promise<RtcPages> {
  const { url, server } = await pageServer({ '/rtc.html': PAGE, '/hls.html': HLS_PAGE });
  const browser = await launchBrowser();
  return {
    browser,
    async open() {
      const page = await browser.newPage();
      await page.goto(`${url}/rtc.html`);
      return page;
    },
    async openHls(src) {
      const page = await browser.newPage();
      await page.goto(`${url}/hls.html?src=${encodeURIComponent(src)}`);
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      server.close();
    },
  };
}

export function whip(page: Page, url: string): Promise<NegotiateResult> {
  return page.evaluate((u) => (window as unknown as { whip(u: string): Promise<NegotiateResult> }).whip(u), url);
}

export function whep(page: Page, url: string): Promise<NegotiateResult> {
  return page.evaluate((u) => (window as unknown as { whep(u: string): Promise<NegotiateResult> }).whep(u), url);
}

export function rtcStats(page: Page): Promise<RtcStats> {
  return page.evaluate(() => (window as unknown as { rtcStats(): Promise<RtcStats> }).rtcStats());
}

/** The <video id="v"> element's state on a player page. */
export function videoState(page: Page): Promise<{ time: number; width: number; height: number; errors: string[] }> {
  return page.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement;
    return { time: v.currentTime, width: v.videoWidth, height: v.videoHeight, errors: (window as unknown as { errors: string[] }).errors };
  });
}

export interface DecodeProgress {
  /** frames decoded when watching began, and when it ended */
  from: number;
  to: number;
  /** how long it watched, ms */
  ms: number;
  /** the longest time without a newly decoded frame, ms */
  longestStallMs: number;
}

/**
 * Watches a WHEP viewer until it has decoded `frames` more frames, or `withinMs` has passed, sampling
 * getStats() every 250 ms. Progress, not a rate: a loaded machine slows the publisher's camera and encoder
 * (the viewer can only decode what it is sent), but decoding that stops never reaches the count, and one
 * that freezes shows a long stall.
 */
export async function decodeProgress(page: Page, frames: number, withinMs: number): Promise<DecodeProgress> {
  const start = Date.now();
  const from = (await rtcStats(page)).framesDecoded;
  let to = from;
  let lastNew = start;
  let longestStallMs = 0;
  while (to < from + frames && Date.now() - start < withinMs) {
    await new Promise((r) => setTimeout(r, 250));
    const n = (await rtcStats(page)).framesDecoded;
    const now = Date.now();
    if (n > to) {
      to = n;
      lastNew = now;
    }
    longestStallMs = Math.max(longestStallMs, now - lastNew);
  }
  return { from, to, ms: Date.now() - start, longestStallMs };
}
