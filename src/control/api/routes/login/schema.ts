// Request bodies of the login routes.
import { object, optional, str, type JsonSchema } from '../../schema.js';

const password = str({ min: 1, max: 1024 });

export const initBody = object({
  password: optional(password),
  /** the one-time code from the server's log: needed to set the first password from a non-loopback address */
  setupCode: optional(str({ max: 64 })),
});
export const loginBody = object({ password });
/** mgmt/password: the current password (required when one is set) and the new one. */
export const passwordBody = object({ oldPassword: optional(password), password });

/** mgmt/init without a password: is a password set, and does this caller need the setup code to set one. */
export const initStatus: JsonSchema = {
  type: 'object',
  required: ['init', 'needSetupCode'],
  properties: {
    init: { type: 'boolean', description: 'a console password is set' },
    needSetupCode: { type: 'boolean', description: 'setting it from this address needs the setup code from the server log' },
  },
};

/** A token from mgmt/token (RFC 3339 times). */
export const tokenResult: JsonSchema = {
  type: 'object',
  required: ['token', 'createAt', 'expireAt'],
  properties: { token: { type: 'string', description: 'a JWT' }, createAt: { type: 'string' }, expireAt: { type: 'string' } },
};

/** mgmt/init with a password and mgmt/login: a token and the API bearer secret. */
export const loginResult: JsonSchema = {
  type: 'object',
  required: ['token', 'createAt', 'expireAt', 'bearer'],
  properties: { ...(tokenResult.properties as JsonSchema), bearer: { type: 'string', description: 'the API secret, for Authorization: Bearer' } },
};
