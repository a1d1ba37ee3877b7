// A FrameSource for a stream URL: rtmp:// and rtmps:// are played in-process (RtmpPull); HTTP-FLV, HLS,
// HTTP-TS, SRT and RTSP go through FFmpeg `-c copy` for now (FfmpegCopySource). Used by virtual live and by
// the IP camera for its non-RTSP URLs; it knows nothing of either.
import { TypedEvent } from '../core/event.js';
import type { Frame } from '../core/frame.js';
import { FfmpegCopySource } from './ffmpeg/ffmpeg-copy-source.js';
import type { FrameSource } from './frame-source.js';
import { RtmpPull } from './rtmp/pull.js';

/** The URL as logs and the API show it: user:password@ becomes ***@. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

/** An RTMP(S) URL played in-process. */
export class RtmpUrlSource implements FrameSource {
  readonly ended = new TypedEvent<[string]>();
  readonly label: string;
  private pull: RtmpPull | null = null;
  private stopped = false;

  constructor(readonly url: string) {
    this.label = redactUrl(url);
  }

  async start(onFrame: (f: Frame) => void): Promise<void> {
    const pull = new RtmpPull(this.url, {
      onFrame,
      onEnd: (reason) => {
        if (!this.stopped) this.ended.emit(`${this.label}: ${reason}`);
      },
    }, { insecureSkipTlsVerify: true });
    this.pull = pull;
    await pull.start();
  }

  async stop(reason = 'stopped'): Promise<void> {
    this.stopped = true;
    await this.pull?.stop(reason);
  }
}

/** FFmpeg's input options for a URL: timeouts so a dead source ends the run, RTSP over TCP. */
export function ffmpegInputArgs(url: string): string[] {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (scheme === 'rtsp' || scheme === 'rtsps') return ['-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', url];
  if (scheme === 'http' || scheme === 'https') return ['-rw_timeout', '10000000', '-i', url];
  return ['-i', url];
}

/** The source for a stream URL (rtmp, rtmps, http(s) .flv/.m3u8/.ts, srt, rtsp). */
export function urlSource(url: string): FrameSource {
  if (/^rtmps?:\/\//i.test(url)) return new RtmpUrlSource(url);
  return new FfmpegCopySource({ label: redactUrl(url), inputArgs: ffmpegInputArgs(url) });
}
