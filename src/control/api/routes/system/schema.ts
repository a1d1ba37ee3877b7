// Request bodies of the system routes.
import { object, optional, str, type JsonSchema } from '../../schema.js';

export const envsBody = object({ locale: optional(str({ max: 16 })) });

const obj = (props: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', required: Object.keys(props), properties: props });
const s = { type: 'string' };
const b = { type: 'boolean' };
const i = { type: 'integer' };

export const versionResult = obj({ version: s });
export const checkResult = obj({ upgrading: b });
export const envsResult = obj({
  mgmtDocker: { type: 'boolean', description: 'always true: the stack is managed as one unit' },
  platformDocker: b,
  candidate: b,
  rtmpPort: s,
  httpPort: s,
  srtPort: s,
  rtcPort: s,
  forwardLimit: i,
  vLiveLimit: i,
  cameraLimit: i,
  locale: { type: 'string', description: 'the stored console locale: en, zh, un, or empty' },
});
export const statusResult = obj({ version: s, releases: obj({ version: s, stable: s, latest: s }), upgrading: b, strategy: s });
