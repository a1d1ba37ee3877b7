// Request bodies of the HTTPS certificate routes (SRS Stack's field names: key, crt, domain).
import { object, str } from '../../schema.js';

/** mgmt/ssl: PEM strings; emptiness and PEM validity are checked by the handler with messages that say what to paste. */
export const sslBody = object({
  key: str({ max: 64 * 1024 }),
  crt: str({ max: 256 * 1024 }),
});

/** mgmt/letsencrypt */
export const letsencryptBody = object({
  domain: str({ max: 253 }),
});
