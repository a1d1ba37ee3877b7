// Request bodies of the stream routes.
import { object, optional, str } from '../../schema.js';

const name = str({ min: 1, max: 256 });

export const kickoffBody = object({
  vhost: optional(str({ max: 256 })),
  app: name,
  stream: name,
  client_id: optional(str({ max: 64 })),
});
