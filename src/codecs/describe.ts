// What a stream's sequence headers say, for the APIs: one VideoInfo / AudioInfo per header, read by the codec
// parsers (h264.ts, h265.ts, aac.ts, mpeg-audio.ts) so that /api/v1/streams reports what the codecs parse.
// Run once per sequence header, never per packet.

import { AudioCodec, VideoCodec, type AudioInfo, type Frame, type VideoInfo } from '../core/frame.js';
import { aacAudioInfo, parseAudioSpecificConfig } from './aac.js';
import { parseAv1Config } from './av1.js';
import { CodecError } from './codec-error.js';
import { avcVideoInfo, parseAvcDecoderConfig } from './h264.js';
import { hevcVideoInfo } from './h265.js';
import { mpegAudioChannels, mpegAudioSampleRate } from './mpeg-audio.js';

const AV1_PROFILES = ['Main', 'High', 'Professional'];

/**
 * Codec, profile, level, size and VUI frame rate of a video sequence header (AVC / HEVC decoder
 * configuration record). A header the parsers cannot read gives the codec with empty fields; never throws
 * for bad bytes.
 */
export function describeVideo(header: Frame): VideoInfo {
  try {
    if (header.codec === VideoCodec.H265) return hevcVideoInfo(header.data);
    if (header.codec === VideoCodec.H264) return avcVideoInfo(header.data);
    if (header.codec === VideoCodec.AV1) {
      const c = parseAv1Config(header.data);
      const level = c.level === 31 ? 'max' : `${2 + (c.level >> 2)}.${c.level & 3}`;
      return { codec: VideoCodec.AV1, profile: AV1_PROFILES[c.profile] ?? String(c.profile), level, width: c.width, height: c.height };
    }
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  return { codec: header.codec as VideoCodec, profile: '', level: '', width: 0, height: 0 };
}

/**
 * Codec, sample rate, channels and profile of an audio sequence header (AAC AudioSpecificConfig) or of an
 * audio frame that has no header (MP3: its frame header; Opus: the frame's fields). What a listener gets:
 * HE-AAC reports the SBR rate, HE-AAC v2 two channels. Never throws for bad bytes.
 */
export function describeAudio(frame: Frame): AudioInfo {
  if (frame.codec === AudioCodec.AAC) {
    try {
      return aacAudioInfo(frame.data);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
    }
  }
  const codec = frame.codec as AudioCodec;
  if (codec === AudioCodec.MP3 && mpegAudioSampleRate(frame.data) > 0) {
    return { codec, sampleRate: mpegAudioSampleRate(frame.data), channels: mpegAudioChannels(frame.data), profile: '' };
  }
  return { codec, sampleRate: frame.sampleRate ?? 0, channels: frame.channels ?? 0, profile: '' };
}

/**
 * The RFC 6381 codec name of a sequence header, as HLS's CODECS attribute (RFC 8216 4.3.4.2) and MSE want it:
 * `avc1.PPCCLL` from the AVC decoder configuration (profile, constraint flags, level), `mp4a.40.N` from the
 * AudioSpecificConfig (the object type as signalled: 2 for LC, 5 for HE-AAC, 29 for HE-AAC v2), `mp4a.40.34`
 * for MP3. Null when the header cannot say (H.265 here, or bytes the parsers refuse).
 */
export function codecString(header: Frame): string | null {
  try {
    if (header.type === 'video' && header.codec === VideoCodec.H264) {
      const c = parseAvcDecoderConfig(header.data);
      const hex = (n: number) => n.toString(16).padStart(2, '0');
      return `avc1.${hex(c.profileIdc)}${hex(c.profileCompatibility)}${hex(c.levelIdc)}`;
    }
    if (header.type === 'audio' && header.codec === AudioCodec.AAC) return `mp4a.40.${parseAudioSpecificConfig(header.data).objectType}`;
    if (header.type === 'audio' && header.codec === AudioCodec.MP3) return 'mp4a.40.34';
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  return null;
}
