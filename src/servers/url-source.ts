// A FrameSource for a stream URL: rtmp:// and rtmps:// are played in-process (RtmpPull), rtsp:// by our RTSP
// client (RtspSource); HTTP-FLV, HLS, HTTP-TS, SRT and rtsps:// go through FFmpeg `-c copy`
// (FfmpegCopySource). Used by virtual live and by the IP camera; it knows nothing of either.
import { TypedEvent } from '../core/event.js';
import type { Frame } from '../core/frame.js';
import { FfmpegCopySource } from './ffmpeg/ffmpeg-copy-source.js';
import { redactUrl, type FrameSource } from './frame-source.js';
import { RtspSource } from './rtsp/client.js';
import { RtmpPull } from './rtmp/pull.js';

export { redactUrl };

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
  if (/^rtsp:\/\//i.test(url)) return new RtspSource(url);
  return new FfmpegCopySource({ label: redactUrl(url), inputArgs: ffmpegInputArgs(url) });
}
