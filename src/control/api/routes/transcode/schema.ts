// Request bodies of the transcode API: SRS Stack's global task (/terraform/v1/ffmpeg/transcode/{query,apply,task},
// its config stored as sent, as SRS Stack does, but with the field types and names checked), and ours, the
// per-stream transcodes with their renditions (/terraform/v1/ffmpeg/transcode/streams/{list,update,remove}).
import { badRequest } from '../../../errors.js';
import {
  CODEC_NAME_RE,
  DEFAULT_PROFILE,
  PROFILE_NAME_RE,
  SIZE_RE,
  type GlobalTranscodeConfig,
  type StreamTranscodeConfig,
  type TranscodeProfile,
} from '../../../jobs/transcode/profile.js';
import { bool, int, object, optional, str, type Field } from '../../schema.js';

const codecName = (hint: string) => str({ max: 64, pattern: CODEC_NAME_RE, patternHint: hint });

/** An output URL: rtmp:// or rtmps:// (or '' for a stream of ours). */
function targetUrl(): Field<string> {
  const inner = str({ max: 2048 });
  const expects = 'an rtmp:// or rtmps:// URL, or "" for a stream of ours';
  return {
    expects,
    json: { type: 'string', maxLength: 2048, description: expects },
    parse(v, name) {
      const s = inner.parse(v, name).trim();
      if (s !== '' && !/^rtmps?:\/\/[^\s/]+\/\S+$/i.test(s)) {
        throw badRequest(`field "${name}" must be ${expects} (e.g. rtmp://a.rtmp.youtube.com/live2/KEY), got ${JSON.stringify(s.slice(0, 80))}`);
      }
      return s;
    },
  };
}

/** SRS Stack's body: every field optional (an empty body stores zero values), the types checked. */
export const transcodeApplyBody = object({
  all: optional(bool()),
  vcodec: optional(codecName('an FFmpeg video encoder, e.g. libx264')),
  acodec: optional(codecName('an FFmpeg audio encoder, e.g. aac')),
  vbitrate: optional(int(0, 100000)),
  abitrate: optional(int(0, 1000)),
  vprofile: optional(codecName('e.g. baseline, main, high')),
  vpreset: optional(codecName('e.g. faster')),
  achannels: optional(int(0, 8)),
  server: optional(str({ max: 2048 })),
  secret: optional(str({ max: 2048 })),
});

export function globalConfigOf(b: ReturnType<typeof transcodeApplyBody.parse>): GlobalTranscodeConfig {
  return {
    all: b.all ?? false,
    vcodec: b.vcodec ?? '',
    acodec: b.acodec ?? '',
    vbitrate: b.vbitrate ?? 0,
    abitrate: b.abitrate ?? 0,
    vprofile: b.vprofile ?? '',
    vpreset: b.vpreset ?? '',
    achannels: b.achannels ?? 0,
    server: b.server ?? '',
    secret: b.secret ?? '',
  };
}

const profileFields = object({
  name: str({ min: 1, max: 32, pattern: PROFILE_NAME_RE, patternHint: 'letters, digits, - and _: the output is live/<stream>_<name>' }),
  vcodec: optional(codecName('an FFmpeg video encoder, e.g. libx264')),
  vprofile: optional(codecName('e.g. baseline, main, high')),
  vpreset: optional(codecName('e.g. veryfast')),
  vbitrate: optional(int(50, 100000)),
  fps: optional(int(0, 120)),
  size: optional(str({ max: 16, pattern: SIZE_RE, patternHint: 'WxH such as 1280x720, or a height such as 720' })),
  acodec: optional(codecName('an FFmpeg audio encoder, e.g. aac')),
  abitrate: optional(int(8, 1000)),
  achannels: optional(int(0, 8)),
  target: optional(targetUrl()),
});

/** One rendition, the missing fields from the defaults (libx264 main veryfast, 25 fps, aac 64 kbps). */
function profile(): Field<TranscodeProfile> {
  return {
    expects: profileFields.expects,
    json: profileFields.json,
    parse(v, name) {
      const o = profileFields.parse(v, name);
      return {
        name: o.name,
        vcodec: o.vcodec || DEFAULT_PROFILE.vcodec,
        vprofile: o.vprofile ?? '',
        vpreset: o.vpreset ?? DEFAULT_PROFILE.vpreset,
        vbitrate: o.vbitrate ?? DEFAULT_PROFILE.vbitrate,
        fps: o.fps || DEFAULT_PROFILE.fps,
        size: o.size ?? '',
        acodec: o.acodec || DEFAULT_PROFILE.acodec,
        abitrate: o.abitrate ?? DEFAULT_PROFILE.abitrate,
        achannels: o.achannels ?? 0,
        target: o.target ?? '',
      };
    },
  };
}

function profileList(max: number): Field<TranscodeProfile[]> {
  const item = profile();
  const expects = `an array of 1 to ${max} profiles {name, vcodec, vprofile, vpreset, vbitrate, fps, size, acodec, abitrate, achannels, target}`;
  return {
    expects,
    json: { type: 'array', minItems: 1, maxItems: max, items: item.json ?? {} },
    parse(v, name) {
      if (!Array.isArray(v) || v.length < 1 || v.length > max) {
        throw badRequest(`field "${name}" must be ${expects}, e.g. [{"name":"720p","vbitrate":1200,"size":"720"}]`);
      }
      return v.map((p, i) => item.parse(p, `${name}[${i}]`));
    },
  };
}

export const streamUpdateBody = object({
  /** '' or missing: a new transcode */
  id: optional(str({ max: 64 })),
  stream: str({ min: 3, max: 256, pattern: /^[\w.~-]+\/[\w.~-]+$/, patternHint: 'app/stream, e.g. live/livestream' }),
  enabled: optional(bool()),
  label: optional(str({ max: 128 })),
  profiles: profileList(8),
});

export function streamConfigOf(b: ReturnType<typeof streamUpdateBody.parse>): StreamTranscodeConfig {
  return { stream: b.stream, enabled: b.enabled ?? true, label: b.label ?? '', profiles: b.profiles };
}

export const streamRemoveBody = object({ id: str({ min: 1, max: 64 }) });
