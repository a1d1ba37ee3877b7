// A silent AAC-LC track made in-process, for cameras without audio going to platforms that need an audio
// track (SRS Stack's extraAudio "silent", which runs FFmpeg's anullsrc at 44100 Hz stereo). Every frame is
// the same 6-byte raw AAC frame of digital silence (a channel pair element with all-zero spectra, what FFmpeg's
// AAC encoder makes of silence), one per 1024 samples, timed from the video's first timestamp and kept just
// ahead of the video. Pure: video times in, audio Frames out.
import { AudioCodec, type Frame } from '../core/frame.js';
import { AAC_SAMPLES_PER_FRAME, AudioObjectType, buildAudioSpecificConfig } from './aac.js';

/** One raw AAC-LC frame (no ADTS) of silence for two channels: CPE, common window, zero spectra, END. */
export const SILENT_AAC_LC_STEREO_FRAME = Buffer.from('211004608c1c', 'hex');

export class SilentAac {
  readonly sampleRate = 44100;
  readonly channels = 2;
  private start: number | null = null;
  private n = 0;

  /** the AudioSpecificConfig sequence header Frame (AAC-LC, 44100 Hz, stereo) */
  header(dts: number): Frame {
    const data = buildAudioSpecificConfig(AudioObjectType.LC, this.sampleRate, this.channels);
    return { type: 'audio', codec: AudioCodec.AAC, dts, pts: dts, keyframe: false, header: true, data, sampleRate: this.sampleRate, channels: this.channels };
  }

  /** The silent frames that go before the video reaches `videoMs`, plus `leadMs` ahead (the first call starts the clock). */
  until(videoMs: number, leadMs = 50): Frame[] {
    this.start ??= videoMs;
    const out: Frame[] = [];
    for (;;) {
      const ms = this.start + (this.n * AAC_SAMPLES_PER_FRAME * 1000) / this.sampleRate;
      if (ms > videoMs + leadMs) break;
      const t = Math.round(ms);
      out.push({ type: 'audio', codec: AudioCodec.AAC, dts: t, pts: t, keyframe: false, header: false, data: SILENT_AAC_LC_STEREO_FRAME, sampleRate: this.sampleRate, channels: this.channels });
      this.n++;
      if (out.length > 1000) {
        // the video jumped far ahead: skip the gap rather than fill it with minutes of silence
        this.start = videoMs;
        this.n = 0;
        break;
      }
    }
    return out;
  }
}
