// A WHEP load client for bench/whep.ts, run as a child process: opens werift peer connections that play one
// WHEP URL and counts the RTP packets and bytes each one receives. Driven by line commands on stdin:
//   "add <k>"  opens k more viewers (a few at a time), then prints {"added":k,"ok":n,"failed":m,"ms":t}
//   "stats"    prints {"viewers":[{"v":videoPackets,"vb":videoBytes,"a":audioPackets,"s":state},...]}
//   "quit"     closes everything and exits
// Usage: node dist/bench/whep-client.js <whep-url>
import { createInterface } from 'node:readline';
import type { RTCPeerConnection } from 'werift';
import { clientPeer } from '../test/e2e/werift-peer.js';

const endpoint = process.argv[2]!;

interface Viewer {
  pc: RTCPeerConnection;
  v: number;
  vb: number;
  a: number;
}
const viewers: Viewer[] = [];


async function open(): Promise<boolean> {
  const pc = clientPeer();
  const viewer: Viewer = { pc, v: 0, vb: 0, a: 0 };
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (track.kind === 'video') {
        viewer.v++;
        viewer.vb += rtp.payload.length + 12;
      } else viewer.a++;
    });
  });
  try {
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
    const answer = await r.text();
    if (r.status !== 201) throw new Error(`HTTP ${r.status}: ${answer.slice(0, 200)}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    // wait for the connection (ICE + DTLS) to come up
    const deadline = Date.now() + 15000;
    while (pc.connectionState !== 'connected' && Date.now() < deadline) {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    if (pc.connectionState !== 'connected') throw new Error(`state ${pc.connectionState}`);
    viewers.push(viewer);
    return true;
  } catch (e) {
    process.stderr.write(`whep-client: viewer failed: ${(e as Error).message}\n`);
    await pc.close().catch(() => {});
    return false;
  }
}

async function add(k: number, concurrency = 4): Promise<void> {
  const t0 = Date.now();
  let ok = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < k) {
      next++;
      if (await open()) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, k) }, worker));
  out({ added: k, ok, failed, ms: Date.now() - t0, total: viewers.length });
}

function out(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, n] = line.trim().split(/\s+/);
  if (cmd === 'add') void add(Number(n));
  else if (cmd === 'stats') out({ viewers: viewers.map((x) => ({ v: x.v, vb: x.vb, a: x.a, s: x.pc.connectionState })) });
  else if (cmd === 'quit') {
    void Promise.all(viewers.map((x) => x.pc.close().catch(() => {}))).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  }
});
rl.on('close', () => process.exit(0));
