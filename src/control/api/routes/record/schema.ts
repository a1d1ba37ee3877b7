// Request bodies of the record API (SRS Stack's /terraform/v1/hooks/record/*).
import { badRequest } from '../../../errors.js';
import type { PostProcess, S3Settings } from '../../../jobs/record/settings.js';
import { bool, object, optional, str, type Field } from '../../schema.js';

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
        return g;
      });
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

const s3Fields = object({
  endpoint: optional(str({ max: 2048 })),
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

export const recordPostProcessingBody = object({
  postProcess: postProcess(),
  postCpDir: optional(str({ max: 1024 })),
  s3: optional(s3()),
});

export const recordUuidBody = object({ uuid: str({ min: 1, max: 64 }) });
