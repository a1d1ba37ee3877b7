// Request bodies of the IP camera API (SRS Stack's /terraform/v1/ffmpeg/camera/*): types are checked here;
// SRS Stack's own checks (platform names, "no server", "no files") are made by the handlers with its messages.
import { badRequest } from '../../../errors.js';
import type { CameraFile } from '../../../jobs/camera/config.js';
import { bool, int, object, optional, str, type Field } from '../../schema.js';

/** One source entry as the console sends it ({name, path, size, uuid, target, type} and the probe fields). */
const fileFields = object({
  name: optional(str({ max: 1024 })),
  path: optional(str({ max: 4096 })),
  size: optional(int(0, Number.MAX_SAFE_INTEGER)),
  uuid: optional(str({ max: 64 })),
  target: str({ max: 4096 }),
  type: optional(str({ max: 32 })),
});

function files(): Field<CameraFile[]> {
  const expects = 'an array of at most 10 sources, each {"name","uuid","target":"rtsp://...","type":"stream"}';
  return {
    expects,
    json: { type: 'array', maxItems: 10, items: fileFields.json ?? {}, description: expects },
    parse(v, name) {
      if (!Array.isArray(v) || v.length > 10) throw badRequest(`field "${name}" must be ${expects}; fix the JSON body`);
      return v.map((f, i) => {
        const o = fileFields.parse(f, `${name}[${i}]`);
        const raw = f as Record<string, unknown>;
        const out: CameraFile = { name: o.name ?? '', path: o.path ?? '', size: o.size ?? 0, uuid: o.uuid ?? '', target: o.target, type: o.type ?? '' };
        // The probe fields the console sends back from camera/source are kept as they are.
        for (const k of ['format', 'video', 'audio'] as const) if (raw[k] && typeof raw[k] === 'object') (out as unknown as Record<string, unknown>)[k] = raw[k];
        return out;
      });
    },
  };
}

function transport(): Field<'tcp' | 'udp'> {
  const expects = '"tcp" or "udp"';
  return {
    expects,
    json: { type: 'string', enum: ['tcp', 'udp'] },
    parse(v, name) {
      if (v !== 'tcp' && v !== 'udp') throw badRequest(`field "${name}" must be ${expects}, got ${JSON.stringify(v)}; fix the JSON body`);
      return v;
    },
  };
}

export const cameraStreamUrlBody = object({ url: str({ min: 1, max: 4096 }) });

export const cameraSourceBody = object({
  platform: optional(str({ max: 128 })),
  files: optional(files()),
});

export const cameraSecretBody = object({
  action: optional(str({ max: 32 })),
  platform: optional(str({ max: 128 })),
  server: optional(str({ max: 4096 })),
  secret: optional(str({ max: 4096 })),
  enabled: optional(bool()),
  custom: optional(bool()),
  label: optional(str({ max: 256 })),
  extraAudio: optional(str({ max: 32 })),
  files: optional(files()),
  transport: optional(transport()),
});

export const cameraRemoveBody = object({ platform: str({ min: 1, max: 128 }) });
