// What a camera task reads from: an rtsp:// camera through the in-process RTSP client, or an rtmp:// stream
// any other stream URL through the shared URL source of virtual live (src/servers/url-source.ts).
// probeSource() reads the first seconds of a source and describes it as SRS Stack's ffprobe view.
import type { Logger } from 'pino';
import { TypedEvent } from '../../../core/event.js';
import { AudioCodec, VideoCodec, type Frame } from '../../../core/frame.js';
import { aacAudioInfo } from '../../../codecs/aac.js';
import { avcVideoInfo } from '../../../codecs/h264.js';
import { hevcVideoInfo } from '../../../codecs/h265.js';
import type { FrameSource } from '../../../servers/frame-source.js';
import { urlSource } from '../../../servers/url-source.js';
import { RtspSource } from '../../../servers/rtsp/client.js';
import { redactUrl } from '../../../servers/frame-source.js';
import { SilentAac } from '../../../codecs/silent-aac.js';
import type { CameraTransport, ProbeAudio, ProbeFormat, ProbeVideo } from './config.js';

export interface CameraSourceOptions {
  transport?: CameraTransport;
  extraAudio?: string;
  logger?: Logger;
  timeoutMs?: number;
}

/**
 * A source with SRS Stack's `extraAudio: "silent"`: its own audio dropped, a silent AAC track (44.1 kHz
 * stereo) made in-process and timed from its video. (RtspSource does this itself, from the RTP clock.)
 */
class SilentAudioSource implements FrameSource {
  readonly ended: TypedEvent<[string]>;
  readonly label: string;

  constructor(private readonly inner: FrameSource) {
    this.ended = inner.ended;
    this.label = inner.label;
  }

  start(onFrame: (f: Frame) => void): Promise<void> {
    const silent = new SilentAac();
    let sentHeader = false;
    return this.inner.start((f) => {
      if (f.type === 'audio') return;
      onFrame(f);
      if (f.type !== 'video' || f.header) return;
      if (!sentHeader) {
        sentHeader = true;
        onFrame(silent.header(f.dts));
      }
      for (const a of silent.until(f.dts)) onFrame(a);
    });
  }

  stop(reason?: string): Promise<void> {
    return this.inner.stop(reason);
  }
}

/** The FrameSource for a camera URL: rtsp:// through our RTSP client, any other stream URL (RTMP, SRT, HTTP-FLV, HLS, HTTP-TS) as virtual live reads it. */
export function cameraSource(url: string, o: CameraSourceOptions = {}): FrameSource {
  if (/^rtsp:\/\//i.test(url)) {
    return new RtspSource(url, { transport: o.transport, extraAudio: o.extraAudio, logger: o.logger, timeoutMs: o.timeoutMs });
  }
  if (!/^(rtmps?|srt|https?|rtsps):\/\//i.test(url)) {
    const scheme = /^([a-z0-9+.-]+):/i.exec(url)?.[1] ?? '';
    throw new Error(`${redactUrl(url)}: ${scheme ? `${scheme}:// camera URLs are` : 'this URL is'} not supported; use an rtsp://, rtmp://, srt:// or http(s):// (.flv, .m3u8, .ts) URL`);
  }
  const src = urlSource(url);
  return o.extraAudio === 'silent' ? new SilentAudioSource(src) : src;
}

export interface ProbeResult {
  format: ProbeFormat;
  video: ProbeVideo | null;
  audio: ProbeAudio | null;
}

/**
 * Reads a source until it has seen its sequence headers and about a second of media (at most `timeoutMs`),
 * then stops it: the codecs and the bitrate, as SRS Stack's ffprobe shows them. Rejects with the source's
 * reason (401, 404, refused, no supported track), or when nothing came in time.
 */
export async function probeSource(src: FrameSource, timeoutMs = 8000): Promise<ProbeResult> {
  let video: ProbeVideo | null = null;
  let audio: ProbeAudio | null = null;
  let bytes = 0;
  let firstMediaAt = 0;
  let wantVideo = false;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const onFrame = (f: Frame) => {
    if (f.header && f.type === 'video') {
      try {
        const info = f.codec === VideoCodec.H265 ? hevcVideoInfo(f.data) : avcVideoInfo(f.data);
        video = {
          codec_type: 'video',
          codec_name: f.codec === VideoCodec.H265 ? 'hevc' : 'h264',
          profile: info.profile,
          width: info.width,
          height: info.height,
          pix_fmt: 'yuv420p',
          level: Math.round(Number(info.level) * (f.codec === VideoCodec.H265 ? 30 : 10)) || 0,
          bit_rate: '',
          start_time: '',
          duration: '',
        };
      } catch {
        /* an unreadable header: the next one may do */
      }
    } else if (f.header && f.type === 'audio' && f.codec === AudioCodec.AAC) {
      try {
        const info = aacAudioInfo(f.data);
        audio = {
          codec_type: 'audio',
          codec_name: 'aac',
          profile: info.profile,
          sample_fmt: 'fltp',
          sample_rate: String(info.sampleRate),
          channels: info.channels,
          channel_layout: info.channels === 1 ? 'mono' : info.channels === 2 ? 'stereo' : '',
          bit_rate: '',
          start_time: '',
          duration: '',
        };
      } catch {
        /* idem */
      }
    } else if (!f.header && f.type !== 'script') {
      if (f.type === 'video') wantVideo = true;
      firstMediaAt ||= Date.now();
      bytes += f.data.length;
      if (Date.now() - firstMediaAt >= 1000 && (video || !wantVideo)) done();
    }
  };
  let failure: string | null = null;
  const off = src.ended.on((why) => {
    failure = why;
    done();
  });
  const timer = setTimeout(done, timeoutMs);
  try {
    await Promise.race([src.start(onFrame), new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer from ${src.label} within ${timeoutMs / 1000} s`)), timeoutMs))]);
    await finished;
  } finally {
    clearTimeout(timer);
    off();
    await src.stop('probed');
  }
  if (!firstMediaAt) throw new Error(failure ?? `no media came from ${src.label} within ${timeoutMs / 1000} s`);
  const secs = Math.max(0.001, (Date.now() - firstMediaAt) / 1000);
  const v = video as ProbeVideo | null;
  const a = audio as ProbeAudio | null;
  return {
    format: {
      start_time: '0.000000',
      duration: '',
      bit_rate: String(Math.round((bytes * 8) / secs)),
      nb_streams: (v ? 1 : 0) + (a ? 1 : 0),
      probe_score: 100,
      has_video: v !== null,
      has_audio: a !== null,
    },
    video: v,
    audio: a,
  };
}
