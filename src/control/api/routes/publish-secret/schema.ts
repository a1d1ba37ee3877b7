// Request bodies of the publish-secret routes.
import { bool, object, str } from '../../schema.js';

export const secretUpdateBody = object({
  secret: str({ min: 1, max: 256, pattern: /^[A-Za-z0-9_.~-]+$/, patternHint: 'letters, digits, and - _ . ~ only, so it fits in a URL' }),
});

export const secretDisableBody = object({ pubNoAuth: bool() });
