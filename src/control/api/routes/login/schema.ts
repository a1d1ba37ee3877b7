// Request bodies of the login routes.
import { object, optional, str } from '../../schema.js';

const password = str({ min: 1, max: 1024 });

export const initBody = object({ password: optional(password) });
export const loginBody = object({ password });
