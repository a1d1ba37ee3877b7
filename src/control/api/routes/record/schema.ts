// Request bodies of the record API (SRS Stack's /terraform/v1/hooks/record/*): every field is checked here, so
// the recorder gets only valid globs, URLs, ids and an absolute copy directory.
import { isAbsolute, relative, resolve } from 'node:path';
import { badRequest } from '../../../errors.js';
import { isUuid } from '../../../jobs/record/artifact.js';
import { globError } from '../../../globs.js';
import type { PostProcess, S3Settings } from '../../../jobs/record/settings.js';
import { bool, httpUrl, object, optional, str, type Field } from '../../schema.js';

/** A list of strings (globs). */
function stringList(maxItems: number, maxLength: number): Field<string[]> {
  const expects = `an array of at most ${maxItems} strings`;
  return {
    expects,
    parse(v, name) {
      if (!Array.isArray(v) || v.length > maxItems) throw badRequest(`field "${name}" must be ${expects}, e.g. ["/live/*"]; fix the JSON body`);
      return v.map((g, i) => {
        if (typeof g !== 'string' || g.length > maxLength) {
          throw badRequest(`field "${name}[${i}]" must be a string of at most ${maxLength} characters, e.g. "/live/*"`);
        }
        const why = g.trim() === '' ? null : globError(g.trim());
        if (why) throw badRequest(`field "${name}[${i}]": ${why}; e.g. {"globs":["/live/*"]}`);
        return g;
      });
    },
  };
}

/** SRS Stack's prefix of its data directory in a copy directory: it means DATA_DIR here. */
const STACK_DATA_PREFIX = /^\.?\/?containers\/data(\/|$)/;

/**
 * The copy directory: absolute as given, or relative to DATA_DIR (SRS Stack's ./containers/data/ prefix means
 * DATA_DIR); a relative path that leaves DATA_DIR (../../etc) is refused.
 */
export function copyDir(dataDir: string): Field<string> {
  const expects = 'a directory: absolute, or relative to DATA_DIR';
  const inner = str({ max: 1024 });
  return {
    expects,
    parse(v, name) {
      const raw = inner.parse(v, name).trim();
      if (raw === '') return '';
      if (raw.includes('\0')) throw badRequest(`field "${name}" must be ${expects}, got a path with a NUL byte`);
      if (isAbsolute(raw)) return resolve(raw);
      const base = resolve(dataDir);
      const dir = resolve(base, raw.replace(STACK_DATA_PREFIX, ''));
      const rel = relative(base, dir);
      if (rel === '..' || rel.startsWith('../') || isAbsolute(rel)) {
        throw badRequest(`field "${name}": ${JSON.stringify(raw)} leaves DATA_DIR (${base}); give a directory inside it, e.g. "copies", or an absolute path`);
      }
      return dir;
    },
  };
}

/** A recording id. */
function recordId(): Field<string> {
  const inner = str({ min: 1, max: 64 });
  return {
    expects: 'a recording id (a UUID)',
    parse(v, name) {
      const s = inner.parse(v, name);
      if (!isUuid(s)) throw badRequest(`field "${name}" must be a recording id (a UUID), got ${JSON.stringify(s)}`);
      return s;
    },
  };
}

function postProcess(): Field<PostProcess> {
  const expects = 'one of "none", "post-cp-file", "s3"';
  return {
    expects,
    parse(v, name) {
      if (v !== 'none' && v !== 'post-cp-file' && v !== 's3') {
        throw badRequest(`field "${name}" must be ${expects}, got ${JSON.stringify(v) ?? 'nothing'}; fix the JSON body`);
      }
      return v;
    },
  };
}

/** An http(s) URL, or empty (AWS by region). */
function endpoint(): Field<string> {
  const url = httpUrl();
  return {
    expects: `${url.expects}, or ""`,
    parse(v, name) {
      return v === '' ? '' : url.parse(v, name);
    },
  };
}

const s3Fields = object({
  endpoint: optional(endpoint()),
  region: optional(str({ max: 128 })),
  bucket: str({ min: 3, max: 63, pattern: /^[a-zA-Z0-9.\-_]+$/, patternHint: 'an S3 bucket name' }),
  prefix: optional(str({ max: 512 })),
  accessKey: optional(str({ max: 512 })),
  secretKey: optional(str({ max: 512 })),
  pathStyle: optional(bool()),
});

/** The S3 settings, with the optional fields filled in. */
function s3(): Field<S3Settings> {
  return {
    expects: s3Fields.expects,
    parse(v, name) {
      const o = s3Fields.parse(v, name);
      return {
        endpoint: o.endpoint ?? '',
        region: o.region ?? '',
        bucket: o.bucket,
        prefix: o.prefix ?? '',
        accessKey: o.accessKey ?? '',
        secretKey: o.secretKey ?? '',
        pathStyle: o.pathStyle ?? false,
      };
    },
  };
}

export const recordApplyBody = object({ all: bool() });

export const recordGlobsBody = object({ globs: stringList(100, 512) });

export function recordPostProcessingBody(dataDir: string) {
  return object({
    postProcess: postProcess(),
    postCpDir: optional(copyDir(dataDir)),
    s3: optional(s3()),
  });
}

/** end: an unknown id (any string) is answered 404 like SRS Stack, so only the type is checked here. */
export const recordEndBody = object({ uuid: str({ min: 1, max: 64 }) });

export const recordRemoveBody = object({ uuid: recordId() });

/** s3/check: the settings to try, or none for the stored ones. */
export const recordS3CheckBody = object({ s3: optional(s3()) });
