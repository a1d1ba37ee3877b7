// SRT buffer sizes per role (src/servers/srt/buffers.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIBSRT_DEFAULT_BUF_PACKETS, LIBSRT_DEFAULT_FC, SRT_DESIGN_RATE, srtBufferPlan } from '../../src/servers/srt/buffers.js';

const PACKET_BYTES = 1472; // SRTO_RCVBUF/SRTO_SNDBUF unit at MSS 1500
const PAYLOAD = 1316;

test('players get the minimum receive window and a send buffer for 1 s of sender retention at 20 Mbps', () => {
  const { player } = srtBufferPlan(120, -1);
  assert.equal(player.flowWindow, 32);
  assert.equal(player.rcvBuf, 32 * PACKET_BYTES);
  const packets = player.sndBuf! / PACKET_BYTES;
  assert.ok(Number.isInteger(packets));
  // libsrt keeps unacknowledged packets max(latency, 1 s) + 20 ms before dropping them.
  const needed = (SRT_DESIGN_RATE * 1.02) / PAYLOAD;
  assert.ok(packets >= needed && packets < needed * 1.5, `${packets} packets for ${needed.toFixed(0)} needed`);
});

test('a player send buffer grows with the latency and with SRT_MAXBW', () => {
  const base = srtBufferPlan(120, -1).player.sndBuf!;
  const longLatency = srtBufferPlan(4000, -1).player.sndBuf!;
  assert.ok(longLatency / PACKET_BYTES >= (SRT_DESIGN_RATE * 5) / PAYLOAD, 'holds 1.25 x 4 s at 20 Mbps');
  const fast = srtBufferPlan(120, 10_000_000).player.sndBuf!;
  assert.ok(fast / PACKET_BYTES >= (10_000_000 * 1.02) / PAYLOAD, 'holds 1 s at SRT_MAXBW');
  assert.ok(longLatency > base && fast > base);
  assert.equal(srtBufferPlan(120, 0).player.sndBuf, base, 'SRT_MAXBW 0 (relative) changes nothing');
  assert.ok(srtBufferPlan(120, 1_000_000_000).player.sndBuf! <= 0x7fffffff, 'fits the int option');
});

test('publishers keep libsrt defaults at usual latencies and get more for long ones', () => {
  assert.deepEqual(srtBufferPlan(120, -1).listener, { flowWindow: LIBSRT_DEFAULT_FC, rcvBuf: LIBSRT_DEFAULT_BUF_PACKETS * PACKET_BYTES });
  const { listener } = srtBufferPlan(8000, -1);
  const packets = listener.rcvBuf! / PACKET_BYTES;
  assert.ok(packets >= (SRT_DESIGN_RATE * 8) / PAYLOAD, `${packets} packets hold 8 s at 20 Mbps`);
  assert.ok(listener.flowWindow! >= packets, 'the flow window is never below the receive buffer');
});
