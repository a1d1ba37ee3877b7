// Request bodies of the forward API (SRS Stack's /terraform/v1/ffmpeg/forward/*). SRS Stack's fields keep their
// names and types; `backup` is ours. The values are checked in routes.ts, where the messages can say what to do.
import { bool, object, optional, str } from '../../schema.js';

export const forwardSecretBody = object({
  action: optional(str({ max: 32 })),
  platform: optional(str({ max: 128 })),
  server: optional(str({ max: 2048 })),
  secret: optional(str({ max: 2048 })),
  enabled: optional(bool()),
  custom: optional(bool()),
  label: optional(str({ max: 256 })),
  stream: optional(str({ max: 256 })),
  backup: optional(str({ max: 256 })),
});
