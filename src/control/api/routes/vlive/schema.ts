// Request bodies of the virtual-live API (SRS Stack's /terraform/v1/ffmpeg/vlive/*).
import { badRequest } from '../../../errors.js';
import type { FFprobeSource, SourceType } from '../../../jobs/vlive/config.js';
import { bool, object, optional, str, type Field } from '../../schema.js';

function sourceType(): Field<SourceType> {
  const expects = 'one of "upload", "file", "stream"';
  return {
    expects,
    json: { type: 'string', enum: ['upload', 'file', 'stream', 'ytdl'] },
    parse(v, name) {
      if (v !== 'upload' && v !== 'file' && v !== 'stream' && v !== 'ytdl') throw badRequest(`field "${name}" must be ${expects}, got ${JSON.stringify(v) ?? 'nothing'}`);
      return v;
    },
  };
}

const sourceFields = object({
  name: optional(str({ max: 1024 })),
  path: optional(str({ max: 4096 })),
  size: optional({ expects: 'a number', json: { type: 'number' }, parse: (v) => (typeof v === 'number' ? v : Number(v) || 0) } as Field<number>),
  uuid: optional(str({ max: 64 })),
  target: str({ max: 4096 }),
  type: sourceType(),
});

/** A list of sources as the upload, server and stream-url calls answered them (extra probe fields are ignored). */
function sources(): Field<FFprobeSource[]> {
  const expects = 'an array of at most 10 sources {name, path, size, uuid, target, type}';
  return {
    expects,
    json: { type: 'array', maxItems: 10, items: sourceFields.json ?? {} },
    parse(v, name) {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || v.length > 10) throw badRequest(`field "${name}" must be ${expects}`);
      return v.map((x, i) => {
        if (x && typeof x === 'object' && !(x as Record<string, unknown>).target) throw badRequest('no target: give each file the "target" the upload, server or stream-url call answered');
        const o = sourceFields.parse(x, `${name}[${i}]`);
        // the probe as vlive/source answered it is kept (SRS Stack stores the files as the console sends them)
        const probe: Pick<FFprobeSource, 'format' | 'video' | 'audio'> = {};
        for (const k of ['format', 'video', 'audio'] as const) {
          const p = (x as Record<string, unknown>)[k];
          if (p && typeof p === 'object' && !Array.isArray(p) && JSON.stringify(p).length < 4096) (probe as Record<string, unknown>)[k] = p;
        }
        return { name: o.name ?? '', path: o.path ?? '', size: o.size ?? 0, uuid: o.uuid ?? '', target: o.target, type: o.type, ...probe };
      });
    },
  };
}

export const vliveServerBody = object({ file: str({ max: 4096 }) });
export const vliveStreamUrlBody = object({ url: str({ min: 1, max: 4096 }) });
export const vliveSourceBody = object({ platform: str({ max: 64 }), files: sources() });
export const vliveSecretBody = object({
  action: optional(str({ max: 16 })),
  platform: optional(str({ max: 64 })),
  server: optional(str({ max: 2048 })),
  secret: optional(str({ max: 2048 })),
  enabled: optional(bool()),
  custom: optional(bool()),
  label: optional(str({ max: 256 })),
  files: sources(),
});
export const vliveRemoveBody = object({ platform: str({ min: 1, max: 64 }) });
