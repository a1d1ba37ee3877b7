// Request bodies of the system routes.
import { object, optional, str } from '../../schema.js';

export const envsBody = object({ locale: optional(str({ max: 16 })) });
