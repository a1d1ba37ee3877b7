// Upload of a finished recording to S3-compatible storage with @aws-sdk/client-s3 multipart upload. The parts
// already accepted are remembered, so a retry after a network failure continues at the failed part (or starts
// over when the storage forgot the upload). Retries and backoff belong to the caller.
import { open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { S3Settings } from './settings.js';

/** Part size: S3's minimum for all but the last part is 5 MiB. */
export const PART_SIZE = 8 * 1024 * 1024;

/** What survives between attempts of one upload. */
export interface MultipartState {
  uploadId: string | null;
  parts: CompletedPart[];
}

export function newMultipartState(): MultipartState {
  return { uploadId: null, parts: [] };
}

/** The object key of a recording: <prefix><uuid>.mp4 (a prefix without a trailing / is used as is). */
export function objectKey(s: S3Settings, uuid: string): string {
  return `${s.prefix.replace(/^\/+/, '')}${uuid}.mp4`;
}

export function s3Target(s: S3Settings, uuid: string): string {
  return `s3://${s.bucket}/${objectKey(s, uuid)}`;
}

/** A client for the settings; `timeouts` (ms) shorten the defaults (a connection check wants a quick answer). */
export function createS3Client(s: S3Settings, timeouts: { connectionTimeout: number; requestTimeout: number } = { connectionTimeout: 5000, requestTimeout: 120000 }): S3Client {
  return new S3Client({
    region: s.region || 'us-east-1',
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.pathStyle,
    ...(s.accessKey ? { credentials: { accessKeyId: s.accessKey, secretAccessKey: s.secretKey } } : {}),
    // Our own retry with backoff (and state in the API) instead of the SDK's silent ones.
    maxAttempts: 1,
    // Plain payload checksums only where S3 requires them: many S3-compatible servers reject the newer trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: timeouts,
  });
}

function isNoSuchUpload(e: unknown): boolean {
  const name = (e as { name?: string; Code?: string } | null)?.name ?? '';
  return name === 'NoSuchUpload' || (e as { Code?: string } | null)?.Code === 'NoSuchUpload';
}

/** One attempt: uploads the remaining parts of `file` and completes the upload. */
export async function uploadMultipart(
  client: S3Client,
  file: string,
  bucket: string,
  key: string,
  state: MultipartState,
  signal?: AbortSignal,
): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    try {
      if (!state.uploadId) {
        state.parts = [];
        const r = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'video/mp4' }), { abortSignal: signal });
        if (!r.UploadId) throw new Error('the storage started a multipart upload without an UploadId');
        state.uploadId = r.UploadId;
      }
      const total = Math.max(1, Math.ceil(size / PART_SIZE));
      for (let n = state.parts.length + 1; n <= total; n++) {
        const start = (n - 1) * PART_SIZE;
        const length = Math.min(PART_SIZE, size - start);
        const body = Buffer.allocUnsafe(length);
        const { bytesRead } = await fh.read(body, 0, length, start);
        if (bytesRead !== length) throw new Error(`${file} changed while uploading (read ${bytesRead} of ${length} bytes)`);
        const r = await client.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: state.uploadId, PartNumber: n, Body: body, ContentLength: length }),
          { abortSignal: signal },
        );
        state.parts.push({ PartNumber: n, ETag: r.ETag });
      }
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: state.uploadId, MultipartUpload: { Parts: state.parts } }),
        { abortSignal: signal },
      );
      state.uploadId = null;
      state.parts = [];
    } catch (e) {
      if (isNoSuchUpload(e)) {
        // The storage forgot the upload (restarted, or expired it): the next attempt starts over.
        state.uploadId = null;
        state.parts = [];
      }
      throw e;
    }
  } finally {
    await fh.close();
  }
}

/** Best effort: tells the storage to drop the parts of an upload that will not be completed. */
export async function abortMultipart(client: S3Client, bucket: string, key: string, state: MultipartState): Promise<void> {
  if (!state.uploadId) return;
  const uploadId = state.uploadId;
  state.uploadId = null;
  state.parts = [];
  await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
}
