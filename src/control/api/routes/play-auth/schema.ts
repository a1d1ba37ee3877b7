// Request bodies of the play-authentication routes (ours: /terraform/v1/hooks/play/*).
import { isValidName } from '../../../../hub/stream-url.js';
import { badRequest } from '../../../errors.js';
import { globError } from '../../../globs.js';
import { MAX_TOKEN_SECONDS } from '../../../hooks/play-auth.js';
import { bool, int, object, optional, str, type Field } from '../../schema.js';

function appList(): Field<string[]> {
  const expects = 'an array of at most 100 app names, e.g. ["live"]';
  return {
    expects,
    json: { type: 'array', items: { type: 'string' }, maxItems: 100 },
    parse(v, name) {
      if (!Array.isArray(v) || v.length > 100) throw badRequest(`field "${name}" must be ${expects}; fix the JSON body`);
      return v.map((a, i) => {
        if (typeof a !== 'string' || !isValidName(a)) throw badRequest(`field "${name}[${i}]" must be an app name (letters, digits, - _ . ~), e.g. "live"`);
        return a;
      });
    },
  };
}

export const playApplyBody = object({ all: optional(bool()), apps: optional(appList()), rotateKey: optional(bool()) });

function glob(): Field<string> {
  const inner = str({ min: 2, max: 512 });
  return {
    expects: 'a glob over /app/stream, e.g. /live/room1 or /live/*',
    json: { type: 'string', description: 'a glob over /app/stream, e.g. /live/room1 or /live/*' },
    parse(v, name) {
      const g = inner.parse(v, name);
      const why = globError(g);
      if (why) throw badRequest(`field "${name}": ${why}`);
      return g;
    },
  };
}

function ipField(): Field<string> {
  const inner = str({ min: 2, max: 64, pattern: /^[0-9a-fA-F.:]+$/, patternHint: 'an IPv4 or IPv6 address' });
  return inner;
}

export const playTokenBody = object({
  /** which streams: a glob over /app/stream */
  streams: optional(glob()),
  /** or one stream */
  app: optional(str({ min: 1, max: 256 })),
  stream: optional(str({ min: 1, max: 256 })),
  /** lifetime, seconds (default 3600) */
  expires: optional(int(1, MAX_TOKEN_SECONDS)),
  /** the only viewer IP it admits */
  ip: optional(ipField()),
});
