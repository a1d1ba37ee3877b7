// libsrt buffer sizes per role, computed from SRT_LATENCY and SRT_MAXBW.
//
// Every connected libsrt socket allocates, and fills, at connect:
// - a receiver loss list of SRTO_FC entries (16 bytes each; 25600 by default: ~410 KB),
// - a receive buffer index of SRTO_RCVBUF packets (16 bytes each; 8192 by default: ~130 KB),
// - a sender loss list of twice the window the peer advertises (12 bytes each; a default
//   peer advertises min(its RCVBUF, its FC) = 8192: ~200 KB; the peer decides, not us).
// Packet memory itself (send buffer, the listener's shared receive units) grows only as used:
// SRTO_SNDBUF is a cap, not an allocation.
//
// A player's socket only sends: it needs no receive window at all, so it gets libsrt's minimum
// (32 packets) for SRTO_FC and SRTO_RCVBUF, set in the listen callback before libsrt sizes the
// socket (SrtServerOptions.playerOptions). Its SRTO_SNDBUF must hold what libsrt keeps for
// retransmission: unacknowledged packets up to its sender drop threshold, max(latency, 1 s)
// (plus 20 ms) in libsrt 1.5, at the highest rate we plan for.
// A publisher's socket (it inherits the listener's values) only receives: SRTO_RCVBUF must hold
// latency plus a round trip's worth of packets at the highest rate; libsrt's defaults cover
// 20 Mbps up to ~3.8 s of latency and are kept below that, raised above it.
import { SRT_BUFFER_BYTES_PER_PACKET, SRT_MIN_FLIGHT_PACKETS, type SrtNumericSocketOptions } from '../../../native/srt/index.js';

/** The highest stream rate the buffers are sized for, bytes/s (20 Mbps); SRT_MAXBW raises it for players. */
export const SRT_DESIGN_RATE = 2_500_000;
/** libsrt's defaults: SRTO_FC and SRTO_RCVBUF/SRTO_SNDBUF, packets. */
export const LIBSRT_DEFAULT_FC = 25600;
export const LIBSRT_DEFAULT_BUF_PACKETS = 8192;
/** libsrt 1.5's sender drop threshold: max(peer latency, 1000 ms) + 2 ACK periods (10 ms each). */
const SENDER_DROP_FLOOR_MS = 1000;
const SENDER_DROP_EXTRA_MS = 20;
/** Slack over the drop threshold for the sender buffer (keyframe bursts, timer granularity). */
const SEND_SLACK_MS = 250;
/** Slack over the latency for the receiver buffer (round trip, reading delay). */
const RECEIVE_SLACK_MS = 1000;
const MAX_OPTION_BYTES = 0x7fffffff;

export interface SrtBufferPlan {
  /** Set on the listener: what publishers (and any caller whose stream id mentions "publish") get. */
  listener: SrtNumericSocketOptions;
  /** Set in the listen callback on every other caller (players). */
  player: SrtNumericSocketOptions;
}

/**
 * Buffer options for the SRT listener and for player sockets.
 * @param latencyMs SRT_LATENCY (SRTO_LATENCY, ms)
 * @param maxBw SRT_MAXBW (SRTO_MAXBW, bytes/s; -1 unlimited, 0 relative to input)
 * @param payloadSize bytes of media per packet (1316: 7 TS packets)
 */
export function srtBufferPlan(latencyMs: number, maxBw: number, payloadSize = 1316): SrtBufferPlan {
  const packetsFor = (rate: number, ms: number) => Math.ceil((rate * ms) / 1000 / payloadSize);
  const bytesOf = (packets: number) => Math.min(packets * SRT_BUFFER_BYTES_PER_PACKET, MAX_OPTION_BYTES - (MAX_OPTION_BYTES % SRT_BUFFER_BYTES_PER_PACKET));

  const sendRate = Math.max(SRT_DESIGN_RATE, maxBw > 0 ? maxBw : 0);
  const holdMs = Math.max(latencyMs * 1.25, SENDER_DROP_FLOOR_MS) + SENDER_DROP_EXTRA_MS + SEND_SLACK_MS;
  const playerSend = packetsFor(sendRate, holdMs);

  const publisherReceive = Math.max(LIBSRT_DEFAULT_BUF_PACKETS, packetsFor(SRT_DESIGN_RATE, latencyMs + RECEIVE_SLACK_MS));
  return {
    listener: {
      flowWindow: Math.max(LIBSRT_DEFAULT_FC, publisherReceive),
      rcvBuf: bytesOf(publisherReceive),
    },
    player: {
      flowWindow: SRT_MIN_FLIGHT_PACKETS,
      rcvBuf: bytesOf(SRT_MIN_FLIGHT_PACKETS),
      sndBuf: bytesOf(playerSend),
    },
  };
}
