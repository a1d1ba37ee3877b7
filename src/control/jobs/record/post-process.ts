// What happens to a finished recording: nothing, a copy into a directory (SRS Stack's post-cp-file), or an
// upload to S3-compatible storage. Failed attempts are retried with exponential backoff; each step is written
// into the recording's post status, which the files API shows (running, retrying with the reason, done, failed).
import { copyFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorMessage } from '../../errors.js';
import { rfc3339, type RecordArtifact, type RecordPaths } from './artifact.js';
import { abortMultipart, createS3Client, newMultipartState, objectKey, s3Target, uploadMultipart } from './s3-upload.js';
import type { RecordSettings } from './settings.js';

export interface PostProcessorOptions {
  logger: Logger;
  /** retries after the first attempt */
  retries: number;
  /** delay before the first retry, ms; doubled each time */
  backoffMs: number;
  /** longest delay between attempts, ms */
  maxBackoffMs: number;
  /** persist the recording's metadata */
  changed(a: RecordArtifact): Promise<void>;
}

export class PostProcessor {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly opts: PostProcessorOptions) {}

  /** Uploads/copies in progress. */
  get active(): number {
    return this.running.size;
  }

  isRunning(uuid: string): boolean {
    return this.running.has(uuid);
  }

  /**
   * Post-processes a finished recording with the given settings; resolves when done, failed for good, or
   * cancelled (never rejects). A cancelled run leaves its state as it was, for a later start to resume.
   */
  async run(a: RecordArtifact, paths: RecordPaths, settings: RecordSettings): Promise<void> {
    if (this.running.has(a.uuid)) return;
    const post = a.post;
    post.kind = settings.postProcess;
    const log = this.opts.logger.child({ uuid: a.uuid, stream: `${a.vhost}/${a.app}/${a.stream}`, post: post.kind });
    const touch = () => {
      post.update = rfc3339();
      return this.opts.changed(a);
    };
    if (post.kind === 'none') {
      post.state = 'none';
      await touch();
      return;
    }
    let once: (signal: AbortSignal) => Promise<void>;
    let close = async () => {};
    if (post.kind === 'post-cp-file') {
      const dir = settings.postCpDir;
      post.target = join(dir, `${a.uuid}.mp4`);
      once = async () => {
        const st = await stat(dir).catch(() => null);
        if (!st?.isDirectory()) throw new Error(`the copy directory ${dir} does not exist; create it or change postCpDir`);
        const part = `${post.target}.part`;
        try {
          await copyFile(paths.mp4, part);
          await rename(part, post.target);
        } catch (e) {
          await unlink(part).catch(() => undefined);
          throw e;
        }
      };
    } else {
      const s3 = settings.s3;
      if (!s3) {
        post.state = 'failed';
        post.reason = 'no S3 settings: set them with POST /terraform/v1/hooks/record/post-processing {"postProcess":"s3","s3":{...}}';
        await touch();
        return;
      }
      post.target = s3Target(s3, a.uuid);
      const client = createS3Client(s3);
      const key = objectKey(s3, a.uuid);
      const state = newMultipartState();
      once = (signal) => uploadMultipart(client, paths.mp4, s3.bucket, key, state, signal);
      close = async () => {
        await abortMultipart(client, s3.bucket, key, state);
        client.destroy();
      };
    }

    const ac = new AbortController();
    this.running.set(a.uuid, ac);
    try {
      for (let attempt = 1; ; attempt++) {
        post.state = 'running';
        post.attempts++;
        await touch();
        const t0 = Date.now();
        try {
          await once(ac.signal);
          post.state = 'done';
          post.reason = '';
          await touch();
          log.info({ target: post.target, attempts: post.attempts, ms: Date.now() - t0 }, 'record post-processing done');
          return;
        } catch (e) {
          if (ac.signal.aborted) return;
          post.reason = `${post.kind === 's3' ? 'upload to' : 'copy to'} ${post.target} failed: ${describe(e)}`;
          if (attempt > this.opts.retries) {
            post.state = 'failed';
            post.reason += `; gave up after ${post.attempts} attempts`;
            await touch();
            log.error({ target: post.target, attempts: post.attempts, reason: post.reason }, 'record post-processing failed');
            return;
          }
          const delay = Math.min(this.opts.backoffMs * 2 ** (attempt - 1), this.opts.maxBackoffMs);
          post.state = 'retrying';
          post.reason += `; retry ${attempt} of ${this.opts.retries} in ${Math.round(delay / 100) / 10} s`;
          await touch();
          log.warn({ target: post.target, attempt, delayMs: delay, reason: post.reason }, 'record post-processing failed: retrying');
          try {
            await sleep(delay, undefined, { signal: ac.signal });
          } catch {
            return;
          }
        }
      }
    } finally {
      this.running.delete(a.uuid);
      await close().catch(() => undefined);
    }
  }

  /** Stops the post-processing of one recording (it is being removed). */
  cancel(uuid: string): void {
    this.running.get(uuid)?.abort();
  }

  /** Stops everything (shutdown); interrupted runs resume at the next start. */
  close(): void {
    for (const ac of this.running.values()) ac.abort();
  }
}

/** An SDK error says little by itself ("UnknownError"): add its code and HTTP status when there are any. */
function describe(e: unknown): string {
  const msg = errorMessage(e);
  const o = e as { name?: string; Code?: string; code?: string; $metadata?: { httpStatusCode?: number } } | null;
  const bits: string[] = [];
  const code = o?.Code ?? o?.code ?? (o?.name && o.name !== 'Error' ? o.name : '');
  if (code && !msg.includes(code)) bits.push(code);
  const status = o?.$metadata?.httpStatusCode;
  if (status) bits.push(`HTTP ${status}`);
  return bits.length > 0 ? `${msg} (${bits.join(', ')})` : msg;
}
