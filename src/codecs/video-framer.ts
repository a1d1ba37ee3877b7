// NAL units of one access unit -> Frames, for every ingest that gets bare NAL units (MPEG-TS Annex B, RTP):
// the parameter sets (H.264 SPS/PPS, H.265 VPS/SPS/PPS) are taken out, merged with those known (out of band,
// e.g. an SDP's sprop-parameter-sets, or earlier in band) and become a sequence header Frame
// (AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord) whenever the complete set is new or
// changed; AUD and filler are dropped; the rest is one AVCC frame (4-byte lengths). Media before the first
// complete set is dropped and counted. Pure: NAL units in, Frames out.
import { VideoCodec, type Frame } from '../core/frame.js';
import { CodecError } from './codec-error.js';
import { NalUnitType, annexBToAvcc, buildAvcDecoderConfig } from './h264.js';
import { HevcNalType, buildHevcDecoderConfig, isHevcKeyframe } from './h265.js';

export interface VideoFramerStats {
  /** access units dropped because no complete parameter set had come yet */
  withoutConfig: number;
}

function sameList(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}

/** Adds a parameter set unless the same bytes are there (senders repeat them: in band and from the packetizer). */
function addOnce(list: Buffer[], nal: Buffer): void {
  if (!list.some((x) => x.equals(nal))) list.push(nal);
}

export class VideoFramer {
  readonly stats: VideoFramerStats = { withoutConfig: 0 };
  private vps: Buffer[] = [];
  private sps: Buffer[] = [];
  private pps: Buffer[] = [];
  private configSent = false;
  private readonly hevc: boolean;

  constructor(
    readonly codec: VideoCodec,
    private readonly onFrame: (f: Frame) => void,
    private readonly onError: (e: CodecError) => void = () => {},
  ) {
    this.hevc = codec === VideoCodec.H265;
  }

  /** a sequence header has been sent (media frames go out) */
  get configured(): boolean {
    return this.configSent;
  }

  /** Parameter sets known out of band (an SDP): the sequence header goes out now if the set is complete. */
  setParameterSets(p: { vps?: Buffer[]; sps: Buffer[]; pps: Buffer[] }, dts: number): void {
    this.update(p.vps ?? [], p.sps, p.pps, dts);
  }

  /** One access unit's NAL units (no start codes), with its timestamps in ms. */
  push(nalus: readonly Buffer[], pts: number, dts: number): void {
    const vps: Buffer[] = [];
    const sps: Buffer[] = [];
    const pps: Buffer[] = [];
    const media: Buffer[] = [];
    let keyframe = false;
    for (const nal of nalus) {
      if (this.hevc) {
        if (nal.length < 2) continue;
        const t = (nal[0]! >> 1) & 0x3f;
        if (t === HevcNalType.AUD || t === HevcNalType.FD) continue;
        if (t === HevcNalType.VPS) addOnce(vps, nal);
        else if (t === HevcNalType.SPS) addOnce(sps, nal);
        else if (t === HevcNalType.PPS) addOnce(pps, nal);
        else {
          if (isHevcKeyframe(t)) keyframe = true;
          media.push(nal);
        }
      } else {
        if (nal.length < 1) continue;
        const t = nal[0]! & 0x1f;
        if (t === NalUnitType.AUD || t === NalUnitType.Filler) continue;
        if (t === NalUnitType.SPS) addOnce(sps, nal);
        else if (t === NalUnitType.PPS) addOnce(pps, nal);
        else {
          if (t === NalUnitType.IDR) keyframe = true;
          media.push(nal);
        }
      }
    }
    if (vps.length > 0 || sps.length > 0 || pps.length > 0) this.update(vps, sps, pps, dts);
    if (media.length === 0) return;
    if (!this.configSent) {
      this.stats.withoutConfig++;
      return;
    }
    this.onFrame({ type: 'video', codec: this.codec, dts, pts, keyframe, header: false, data: annexBToAvcc(media) });
  }

  /** Merges parameter sets; emits a sequence header when the complete set is new or changed. */
  private update(vps: Buffer[], sps: Buffer[], pps: Buffer[], dts: number): void {
    const nextVps = vps.length > 0 ? vps : this.vps;
    const nextSps = sps.length > 0 ? sps : this.sps;
    const nextPps = pps.length > 0 ? pps : this.pps;
    if (this.configSent && sameList(nextVps, this.vps) && sameList(nextSps, this.sps) && sameList(nextPps, this.pps)) return;
    // keep copies: the NAL units may be views of a reused buffer
    this.vps = nextVps === this.vps ? this.vps : nextVps.map((b) => Buffer.from(b));
    this.sps = nextSps === this.sps ? this.sps : nextSps.map((b) => Buffer.from(b));
    this.pps = nextPps === this.pps ? this.pps : nextPps.map((b) => Buffer.from(b));
    if (this.sps.length === 0 || this.pps.length === 0 || (this.hevc && this.vps.length === 0)) return; // incomplete yet
    let record: Buffer;
    try {
      record = this.hevc ? buildHevcDecoderConfig(this.vps, this.sps, this.pps) : buildAvcDecoderConfig(this.sps, this.pps);
    } catch (e) {
      this.onError(e instanceof CodecError ? e : new CodecError('CODEC_INVALID', String(e)));
      return;
    }
    this.configSent = true;
    this.onFrame({ type: 'video', codec: this.codec, dts, pts: dts, keyframe: false, header: true, data: record });
  }
}
