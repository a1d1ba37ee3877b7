// The werift peer connections this server answers with (ICE-lite, no sockets of their own: the shared port
// adapter gives them one), and the checks and codec choices made on an offer before werift sees it.
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpReceiver,
  type RTCRtpSender,
  useAbsSendTime,
  useSdesMid,
  useTransportWideCC,
} from 'werift';
import {
  SdpError,
  checkOfferTransport,
  chooseH264,
  chooseOpus,
  keepPayloadTypes,
  mediaDirection,
  parseSdp,
  writeSdp,
  type RtpCodec,
} from '../../codecs/rtp/sdp.js';

/** An error answered to the HTTP client with this status and message. */
export class RtcError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RtcError';
  }
}

export type RtcRole = 'publish' | 'play';

/** A peer connection that answers one offer: H.264 (packetization-mode 1) and Opus only. */
export function createPeerConnection(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceLite: true,
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceServers: [],
    bundlePolicy: 'max-bundle',
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
    headerExtensions: {
      video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()],
      audio: [useSdesMid(), useAbsSendTime()],
    },
  });
}

/** Stands in for a sender's packet cache: keeps nothing, finds nothing. */
const NO_PACKET_CACHE: unknown[] = new Proxy<unknown[]>([], { set: () => true, get: () => undefined });

/**
 * Makes a werift RTCRtpSender keep nothing per packet it sends (werift/lib/webrtc/src/media/rtpSender.js),
 * for a server that sends one stream to many viewers, where each such record is one per viewer per packet:
 * - its cache of the last 128 RTP packets (the private rtpCache, from which werift answers NACKs on its
 *   own): a header per viewer per packet, alive for seconds, so promoted to V8's old space and collected
 *   late. The caller answers NACKs itself (the WHEP player, from the stream's shared history).
 * - its send-side bandwidth estimator's record of each packet sent (SenderBandwidthEstimator.rtpPacketSent):
 *   werift 0.24 prunes that record by the keys of the wrong object, so once transport-cc is negotiated (every
 *   browser offers it) it gains an entry per packet until the 16-bit transport sequence wraps: 65536 entries
 *   (about 6 MB) per sender. Nothing here uses the estimate: every viewer gets the one encoding.
 * Relies on werift internals, checked here.
 */
export function dropSenderRecords(sender: RTCRtpSender): void {
  const s = sender as unknown as { rtpCache?: unknown; senderBWE?: { rtpPacketSent?: unknown } };
  if (!Array.isArray(s.rtpCache) || typeof s.senderBWE?.rtpPacketSent !== 'function') {
    throw new Error(
      'werift RTCRtpSender internals changed (rtpCache, senderBWE.rtpPacketSent): the WHEP sender setup (dropSenderRecords) needs updating',
    );
  }
  s.rtpCache = NO_PACKET_CACHE;
  s.senderBWE.rtpPacketSent = () => {};
}

/**
 * Hands the transport-wide sequence number of each packet a werift RTCRtpReceiver gets to `onPacket`,
 * in place of werift's own feedback (werift/lib/webrtc/src/media/receiver/receiverTwcc.js). werift 0.24's
 * ReceiverTWCC writes feedback Chrome cannot use: its 100 ms timer never starts (it runs the loop before
 * setting twccRunning), so feedback goes out only every 11 packets; a lost packet is counted in a run of
 * received ones with no delta for it, which shifts every delta after it; and the first delta is taken from
 * the previous feedback's last packet rather than the reference time, off by up to 64 ms. A browser
 * publisher then never raises its bitrate above its 300 kbps start, or lowers it to a few tens of kbps, and
 * its encoder drops frames after every keyframe. The caller writes the feedback (codecs/rtp/twcc.ts).
 * Relies on werift internals, checked here.
 */
export function takeOverTwcc(receiver: RTCRtpReceiver, onPacket: (transportSeq: number) => void): void {
  const r = receiver as unknown as { receiverTWCC?: { handleTWCC?: unknown; twccRunning?: boolean }; setupTWCC?: unknown };
  // werift makes its ReceiverTWCC when the offer names the SSRC, or else at the first packet.
  const own = r.receiverTWCC;
  if (typeof r.setupTWCC !== 'function' || !Object.prototype.hasOwnProperty.call(r, 'receiverTWCC') || (own !== undefined && typeof own.handleTWCC !== 'function')) {
    throw new Error('werift RTCRtpReceiver internals changed (receiverTWCC, setupTWCC): the WHIP feedback setup (takeOverTwcc) needs updating');
  }
  if (own) own.twccRunning = false;
  r.receiverTWCC = {
    twccRunning: false,
    handleTWCC(seq: unknown) {
      if (typeof seq === 'number') onPacket(seq);
    },
  };
}

export interface PreparedOffer {
  /** the offer with only the chosen payload types left */
  sdp: string;
  video: RtpCodec | null;
  audio: RtpCodec | null;
}

/**
 * Checks an offer and narrows it to one H.264 and one Opus payload type, so werift's answer (which keeps
 * the offer's matching codecs) carries exactly those. Throws RtcError(400) with what to fix.
 */
export function prepareOffer(text: string, role: RtcRole, profileIdc?: number): PreparedOffer {
  let sdp;
  try {
    sdp = parseSdp(text);
  } catch (e) {
    if (e instanceof SdpError) throw new RtcError(400, `malformed SDP offer: ${e.message}`);
    throw e;
  }
  const problem = checkOfferTransport(sdp);
  if (problem) throw new RtcError(400, `unusable SDP offer: ${problem}`);
  const want = role === 'publish' ? ['sendonly', 'sendrecv'] : ['recvonly', 'sendrecv'];
  const out: PreparedOffer = { sdp: '', video: null, audio: null };
  for (const m of sdp.media) {
    if (m.port === 0 || (m.kind !== 'audio' && m.kind !== 'video')) continue;
    const dir = mediaDirection(sdp, m);
    if (!want.includes(dir)) {
      throw new RtcError(
        400,
        `the offer's ${m.kind} section is ${dir}; ${role === 'publish' ? 'WHIP publishes, so it must be sendonly' : 'WHEP plays, so it must be recvonly'}`,
      );
    }
    if ((m.kind === 'video' && out.video) || (m.kind === 'audio' && out.audio)) {
      throw new RtcError(400, `the offer has more than one ${m.kind} section; send at most one audio and one video track`);
    }
    if (m.kind === 'video') {
      const c = chooseH264(m, profileIdc);
      if (!c) {
        throw new RtcError(
          400,
          'the offer has no H.264 (packetization-mode=1) video; this server carries H.264 over WebRTC: enable H.264 in the browser or encoder',
        );
      }
      keepPayloadTypes(m, [c.payloadType]);
      out.video = c;
    } else {
      const c = chooseOpus(m);
      if (!c) throw new RtcError(400, 'the offer has no Opus audio (opus/48000/2); WebRTC audio here is Opus');
      keepPayloadTypes(m, [c.payloadType]);
      out.audio = c;
    }
  }
  out.sdp = writeSdp(sdp);
  return out;
}
