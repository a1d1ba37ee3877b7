// Reading a JSON request body with a size limit: an empty body is {}, a body over the limit answers 413,
// anything but a JSON object answers 400 with where the JSON went wrong.
import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from '../errors.js';

export type JsonObject = Record<string, unknown>;

/** A body bigger than the limit is still read (and thrown away) up to this much, so the client sees the 413. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

function tooLarge(limit: number): ApiError {
  const kb = Math.round(limit / 1024);
  return new ApiError(413, 413, `the request body is larger than ${kb} KiB; send a smaller JSON body (at most ${limit} bytes)`, {
    Connection: 'close',
  });
}

/** Reads the raw body, at most `limit` bytes. */
export function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > DRAIN_LIMIT) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        if (size > DRAIN_LIMIT) {
          req.destroy();
          reject(tooLarge(limit));
        }
        return;
      }
      chunks.push(d);
    });
    req.on('end', () => (over ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', (e) => reject(badRequest(`the request body could not be read: ${e.message}`)));
  });
}

/** Parses the body as a JSON object ({} when empty). */
export function parseJsonObject(raw: Buffer): JsonObject {
  const text = raw.toString('utf8').trim();
  if (!text) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON (${(e as Error).message}); send a JSON object such as {"token":"..."}`);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw badRequest(`the request body must be a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}; send e.g. {"token":"..."}`);
  }
  return v as JsonObject;
}
