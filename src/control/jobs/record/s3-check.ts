// "Test connection" of the recording's S3 settings: the steps an upload needs, tried with a small object
// (the bucket is there and can be listed, an object can be written, and deleted again), each answered with what
// went wrong in words a user can act on: bad credentials, no such bucket, no permission, the endpoint cannot be
// reached, or it did not answer in time.
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { errorMessage } from '../../errors.js';
import { createS3Client } from './s3-upload.js';
import type { S3Settings } from './settings.js';

/**
 * - ok: it worked
 * - credentials: the access key is unknown or the secret is wrong
 * - denied: the credentials are good but may not do this
 * - no-bucket: the bucket does not exist
 * - unreachable: no answer from the endpoint's host (DNS, refused, TLS)
 * - timeout: the endpoint did not answer in time
 * - error: anything else (the storage's message is given)
 */
export type S3CheckKind = 'ok' | 'credentials' | 'denied' | 'no-bucket' | 'unreachable' | 'timeout' | 'error';

export type S3CheckStepName = 'bucket' | 'write' | 'delete';

export interface S3CheckStep {
  step: S3CheckStepName;
  ok: boolean;
  /** how long it took, ms */
  ms: number;
  kind: S3CheckKind;
  message: string;
}

export interface S3CheckResult {
  ok: boolean;
  /** the first failure's kind, or ok */
  kind: S3CheckKind;
  /** one sentence: what works, or what is wrong and what to do */
  message: string;
  /** s3://bucket/key of the test object */
  target: string;
  steps: S3CheckStep[];
}

export interface S3CheckOptions {
  /** longest wait for each step, ms (default 10000) */
  timeoutMs?: number;
}

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const NET_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO']);

/** What kind of failure an SDK error is. */
export function classifyS3Error(e: unknown): S3CheckKind {
  const o = (e ?? {}) as SdkError;
  const code = o.Code ?? o.name ?? '';
  const errno = o.code ?? ((o.cause ?? {}) as SdkError).code ?? '';
  const status = o.$metadata?.httpStatusCode;
  if (o.name === 'AbortError' || o.name === 'TimeoutError' || errno === 'ETIMEDOUT' || errno === 'ECONNABORTED') return 'timeout';
  if (NET_CODES.has(errno)) return 'unreachable';
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed', 'InvalidSecurity'].includes(code)) return 'credentials';
  if (code === 'NoSuchBucket' || (code === 'NotFound' && status === 404)) return 'no-bucket';
  if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) return 'denied';
  if (status === 404) return 'no-bucket';
  return 'error';
}

function describe(kind: S3CheckKind, s: S3Settings, step: S3CheckStepName, e: unknown, timeoutMs: number): string {
  const where = s.endpoint || `AWS S3 in ${s.region || 'us-east-1'}`;
  const detail = errorMessage(e);
  switch (kind) {
    case 'credentials':
      return `the storage at ${where} refused the credentials (${detail}): check the access key and the secret key`;
    case 'denied':
      return step === 'bucket'
        ? `access to bucket "${s.bucket}" is denied: the credentials are wrong, or they may not use this bucket (check the keys and the bucket's policy)`
        : `the credentials may read bucket "${s.bucket}" but not ${step === 'write' ? 'write to' : 'delete from'} it: give them s3:PutObject and s3:DeleteObject`;
    case 'no-bucket':
      return `there is no bucket "${s.bucket}" at ${where}: create it, or fix the bucket name (or the region, or path-style for S3-compatible servers)`;
    case 'unreachable':
      return `cannot reach ${where} (${detail}): check the endpoint URL, that the server runs, and the network from this server to it`;
    case 'timeout':
      return `${where} did not answer within ${Math.round(timeoutMs / 1000)} s: check the endpoint URL and the network (a firewall that drops packets looks like this)`;
    default:
      return `the storage at ${where} answered an error: ${detail}`;
  }
}

/** Tries the settings: HeadBucket, a PutObject of a small object, and its DeleteObject. Never throws. */
export async function checkS3(s: S3Settings, opts: S3CheckOptions = {}): Promise<S3CheckResult> {
  const timeoutMs = opts.timeoutMs ?? 10000;
  const client = createS3Client(s, { connectionTimeout: Math.min(timeoutMs, 5000), requestTimeout: timeoutMs });
  const key = `${s.prefix.replace(/^\/+/, '')}.srs-node-check-${randomUUID()}`;
  const target = `s3://${s.bucket}/${key}`;
  const steps: S3CheckStep[] = [];
  const run = async (step: S3CheckStepName, send: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> => {
    const t0 = Date.now();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      await send(ac.signal);
      steps.push({ step, ok: true, ms: Date.now() - t0, kind: 'ok', message: '' });
      return true;
    } catch (e) {
      const kind = ac.signal.aborted ? 'timeout' : classifyS3Error(e);
      steps.push({ step, ok: false, ms: Date.now() - t0, kind, message: describe(kind, s, step, e, timeoutMs) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    // Listing answers with an error code where HeadBucket has none (a 403 says nothing about why). Upload-only
    // credentials may not list: that alone does not stop an upload, so the write is tried anyway.
    const listed = await run('bucket', (signal) => client.send(new ListObjectsV2Command({ Bucket: s.bucket, MaxKeys: 1, Prefix: key }), { abortSignal: signal }));
    const listDenied = !listed && steps[0]!.kind === 'denied';
    const wrote = (listed || listDenied) && (await run('write', (signal) =>
      client.send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: Buffer.from('srs-node S3 check\n'), ContentType: 'text/plain' }), { abortSignal: signal }),
    ));
    const deleted = wrote && (await run('delete', (signal) => client.send(new DeleteObjectCommand({ Bucket: s.bucket, Key: key }), { abortSignal: signal })));
    const ms = steps.reduce((n, x) => n + x.ms, 0);
    if (!wrote) {
      // The write's failure says more than the listing's denial, when both failed.
      const failed = steps.find((x) => x.step === 'write' && !x.ok) ?? steps.find((x) => !x.ok)!;
      return { ok: false, kind: failed.kind, message: failed.message, target, steps };
    }
    const notes: string[] = [];
    if (listDenied) notes.push('these credentials may not list the bucket (fine for uploads)');
    if (!deleted) notes.push(`the test object ${target} could not be deleted: ${steps.find((x) => x.step === 'delete')?.message ?? ''}`);
    return {
      ok: true,
      kind: 'ok',
      message: `bucket "${s.bucket}" is reachable and writable: a test object was written${deleted ? ' and deleted' : ''} in ${ms} ms` + (notes.length ? `; ${notes.join('; ')}` : ''),
      target,
      steps,
    };
  } finally {
    client.destroy();
  }
}
