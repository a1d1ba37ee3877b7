// WebVTT subtitles of a transcript task as HLS (RFC 8216 4.3.4.1 EXT-X-MEDIA TYPE=SUBTITLES): a multivariant
// playlist whose video is the stream's own HLS and whose subtitle group lists one .vtt per transcribed segment.
// Cue times are stream time; X-TIMESTAMP-MAP maps LOCAL 0 to MPEGTS 0 because our HLS writes PTS = stream ms x
// 90, so a player puts the cues on the video's timeline.
import type { TranscriptSegment } from './transcriber.js';

function vttTime(s: number): string {
  const ms = Math.max(0, Math.round(s * 1000));
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3600000))}:${p(Math.floor(ms / 60000) % 60)}:${p(Math.floor(ms / 1000) % 60)}.${p(ms % 1000, 3)}`;
}

/** The multivariant playlist: the original stream's HLS with the subtitle group. */
export function webvttMaster(o: { lang: string; videoUri: string; subtitlesUri: string; bandwidth: number }): string {
  const lang = o.lang || 'en';
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Subtitle-${lang.toUpperCase()}",LANGUAGE="${lang}",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="${o.subtitlesUri}"`,
    `#EXT-X-STREAM-INF:BANDWIDTH=${Math.max(1, Math.round(o.bandwidth))},SUBTITLES="subs"`,
    o.videoUri,
    '',
  ].join('\n');
}

/** The live subtitle playlist: one .vtt per segment, in order. */
export function webvttPlaylist(segments: readonly TranscriptSegment[], uri: (s: TranscriptSegment) => string): string {
  const target = Math.max(1, Math.ceil(Math.max(0, ...segments.map((s) => s.duration))));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-MEDIA-SEQUENCE:${segments[0]?.seqno ?? 0}`, `#EXT-X-TARGETDURATION:${target}`];
  let prev: TranscriptSegment | null = null;
  for (const s of segments) {
    if (prev && s.seqno !== prev.seqno + 1) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${s.duration.toFixed(3)},`, uri(s));
    prev = s;
  }
  lines.push('');
  return lines.join('\n');
}

/** One segment's cues; a cleared or skipped segment has none. */
export function webvttFile(s: TranscriptSegment): string {
  const out = ['WEBVTT', 'X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000', ''];
  if (!s.uca) {
    for (const c of s.asrs ?? []) {
      out.push(`${vttTime(c.start)} --> ${vttTime(Math.max(c.end, c.start + 0.3))}`, c.text.replace(/-->/g, '->'), '');
    }
  }
  return out.join('\n');
}
