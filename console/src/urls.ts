// The URLs a user copies: publish (RTMP for OBS and ffmpeg, SRT, WHIP) and play (HLS, HTTP-FLV, HTTP-TS, RTMP,
// SRT, WHEP), built from this page's host, the server's ports and the publish secret.
import type { Envs } from './api/types';
import { PATHS } from './api/paths';

export interface UrlInputs { envs: Envs | null; secret: string; noAuth: boolean; app: string; stream: string }

function host(): string {
  return location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
}

export function buildUrls(i: UrlInputs) {
  const h = host();
  const rtmpPort = i.envs?.rtmpPort && i.envs.rtmpPort !== '1935' ? `:${i.envs.rtmpPort}` : '';
  const srtPort = i.envs?.srtPort || '10080';
  const http = location.origin;
  const q = i.noAuth || !i.secret ? '' : `?secret=${i.secret}`;
  const qs = i.noAuth || !i.secret ? '' : `&secret=${encodeURIComponent(i.secret)}`;
  const path = `${i.app}/${i.stream}`;
  return {
    obsServer: `rtmp://${h}${rtmpPort}/${i.app}`,
    obsKey: `${i.stream}${q}`,
    rtmpPublish: `rtmp://${h}${rtmpPort}/${path}${q}`,
    srtPublish: `srt://${h}:${srtPort}?streamid=#!::r=${path}${q},m=publish`,
    whip: `${http}${PATHS.whip}?app=${encodeURIComponent(i.app)}&stream=${encodeURIComponent(i.stream)}${qs}`,
    hls: `${http}/${path}.m3u8`,
    flv: `${http}/${path}.flv`,
    ts: `${http}/${path}.ts`,
    rtmpPlay: `rtmp://${h}${rtmpPort}/${path}`,
    srtPlay: `srt://${h}:${srtPort}?streamid=#!::r=${path},m=request`,
    whep: `${http}${PATHS.whep}?app=${encodeURIComponent(i.app)}&stream=${encodeURIComponent(i.stream)}`,
    ffmpeg: `ffmpeg -re -i input.mp4 -c copy -f flv '${`rtmp://${h}${rtmpPort}/${path}${q}`}'`,
    player: (type: 'hls' | 'flv' | 'whep') =>
      `${http}/players/?app=${encodeURIComponent(i.app)}&stream=${encodeURIComponent(i.stream)}&type=${type}`,
  };
}
