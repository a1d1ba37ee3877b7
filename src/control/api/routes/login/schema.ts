// Request bodies of the login routes.
import { object, optional, str } from '../../schema.js';

const password = str({ min: 1, max: 1024 });

export const initBody = object({
  password: optional(password),
  /** the one-time code from the server's log: needed to set the first password from a non-loopback address */
  setupCode: optional(str({ max: 64 })),
});
export const loginBody = object({ password });
