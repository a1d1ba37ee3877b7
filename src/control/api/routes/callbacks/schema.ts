// Request bodies of the HTTP callback routes.
import { bool, object, optional, str } from '../../schema.js';

export const hooksApplyBody = object({
  all: bool(),
  target: optional(str({ max: 2048 })),
  opaque: optional(str({ max: 1024 })),
  host: optional(str({ max: 2048 })),
});

/** What the sample receiver reads of a callback (the other fields are accepted and ignored). */
export const hooksExampleBody = object({
  action: optional(str({ max: 64 })),
  opaque: optional(str({ max: 1024 })),
});
