// The HLS view of a recording (SRS Stack's /terraform/v1/hooks/record/hls/<uuid>/index.m3u8), also while it
// records: a playlist of fMP4 byte ranges over the recording's fragmented MP4. While recording, the ranges are
// read from fragments.mp4 as it grows (indexed incrementally: each request reads only what was appended);
// once index.mp4 is made the fragments are deleted and the same bytes are put back together from the skeleton
// kept beside it (fragments.skel: every box but the media) and index.mp4's media, so a player that is in the
// middle of the recording keeps going across the change. A recording made before the skeleton existed has
// no HLS view (its index.mp4 plays).
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { readBoxHeader } from '../../../codecs/mp4/boxes.js';
import { Fmp4Indexer, ReassembledSource, fmp4Playlist, groupFragments, skeletonRanges } from '../../../codecs/mp4/fragment-index.js';
import { BufferSource, FileSource, type ByteSource } from '../../../codecs/mp4/progressive.js';
import { errorMessage } from '../../errors.js';
import { isUuid, mp4UrlPath, recordPaths, type RecordPaths, type RecordState } from './artifact.js';

/** The name of the fragmented MP4 in the recording's URL space (the byte ranges point into it). */
export const FRAGMENTS_NAME = 'fragments.mp4';
/** Recordings whose index is kept in memory (least recently used dropped first). */
const CACHE_ENTRIES = 32;
const READ_CHUNK = 1024 * 1024;

/** What a request gets: the bytes (close when done) or why not (the API answers 404 with it). */
export type HlsBytes = { source: ByteSource; close(): Promise<void> } | { missing: string };

interface Entry {
  indexer: Fmp4Indexer;
  /** serializes updates of the indexer */
  chain: Promise<unknown>;
  /** once the fragments are gone: the skeleton in memory and the pieces it maps */
  done: { skeleton: Buffer; payloadStart: number; payloadLength: number } | null;
}

/**
 * Writes the skeleton of a recording's fragments (every complete box, mdat payloads left out) next to them:
 * call it after index.mp4 is made and before the fragments are deleted. Never throws: without a skeleton the
 * recording has no HLS view, which is logged.
 */
export async function writeSkeleton(paths: RecordPaths, log: Logger): Promise<void> {
  let src: FileSource | null = null;
  let out: FileHandle | null = null;
  const tmp = `${paths.skeleton}.tmp`;
  try {
    src = await FileSource.open(paths.fragments);
    const ix = new Fmp4Indexer();
    await ix.update(src);
    if (ix.fragments.some((f) => !f.exact)) throw new Error('a fragment holds bytes besides its samples');
    out = await open(tmp, 'w');
    for (const r of await skeletonRanges(src, ix.position)) await out.write(await src.read(r.position, r.length));
    await out.close();
    out = null;
    await rename(tmp, paths.skeleton);
  } catch (e) {
    log.warn({ err: errorMessage(e), path: paths.skeleton }, 'record: no HLS view of this recording once finished (index.mp4 plays)');
    await out?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
  } finally {
    await src?.close();
  }
}

export class RecordHls {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly recordDir: string,
    /** the recording's state, or null when there is no such recording */
    private readonly stateOf: (uuid: string) => Promise<RecordState | null>,
  ) {}

  /** The playlist, with byte ranges into `uri` (relative to the playlist's URL), or why there is none. */
  async playlist(uuid: string, uri: string): Promise<{ text: string; live: boolean } | { missing: string }> {
    const state = isUuid(uuid) ? await this.stateOf(uuid) : null;
    if (!state) return { missing: missing(uuid) };
    if (state === 'failed') return { missing: `the recording ${uuid} failed: nothing to play; POST /terraform/v1/hooks/record/files says why` };
    const got = await this.bytes(uuid);
    if ('missing' in got) return got;
    try {
      const e = this.cache.get(uuid)!;
      const live = state === 'recording' || state === 'waiting';
      const segments = groupFragments(e.indexer.fragments, { complete: !live });
      const text = fmp4Playlist(e.indexer.inits, segments, { uri, type: state === 'done' ? 'VOD' : 'EVENT', ended: !live });
      return { text, live };
    } finally {
      await got.close();
    }
  }

  /** The recording's fragmented MP4 (growing, or put back together), indexed up to its current size. */
  async bytes(uuid: string): Promise<HlsBytes> {
    if (!isUuid(uuid)) return { missing: missing(uuid) };
    const paths = recordPaths(this.recordDir, uuid);
    let e = this.cache.get(uuid);
    if (e) {
      this.cache.delete(uuid);
    } else {
      e = { indexer: new Fmp4Indexer(), chain: Promise.resolve(), done: null };
    }
    this.cache.set(uuid, e);
    while (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    const entry = e;
    const opened = await this.openSource(paths, entry);
    if ('missing' in opened) {
      this.cache.delete(uuid);
      return opened;
    }
    const run = entry.chain.then(() => entry.indexer.update(opened.source));
    entry.chain = run.catch(() => undefined);
    try {
      await run;
    } catch (err) {
      await opened.close();
      this.cache.delete(uuid);
      return { missing: `cannot read the recording ${uuid}: ${errorMessage(err)}` };
    }
    return opened;
  }

  private async openSource(paths: RecordPaths, e: Entry): Promise<HlsBytes> {
    if (!e.done) {
      try {
        const src = await FileSource.open(paths.fragments);
        return { source: src, close: () => src.close() };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const skeleton = await readFile(paths.skeleton).catch(() => null);
      const uuid = paths.dir.slice(-36);
      if (!skeleton) return { missing: `the recording ${uuid} has no HLS view (it was made before HLS views were kept, or is gone): play ${mp4UrlPath(uuid)}` };
      const mdat = await mdatPayload(paths.mp4);
      if (!mdat) return { missing: 'the recording has no readable index.mp4' };
      e.done = { skeleton, payloadStart: mdat.start, payloadLength: mdat.length };
    }
    let fh: FileSource;
    try {
      fh = await FileSource.open(paths.mp4);
    } catch {
      return { missing: 'the recording is gone' };
    }
    const r = await ReassembledSource.open(new BufferSource(e.done.skeleton), fh, e.done.payloadStart, e.done.payloadLength);
    if (typeof r === 'string') {
      await fh.close();
      return { missing: `the recording's HLS view does not match its index.mp4 (${r})` };
    }
    return { source: r, close: () => fh.close() };
  }

  /** Forgets a recording (it was removed). */
  forget(uuid: string): void {
    this.cache.delete(uuid);
  }
}

function missing(uuid: string): string {
  return `no recording ${JSON.stringify(uuid.slice(0, 80))}: the path is /terraform/v1/hooks/record/hls/<uuid>/index.m3u8 with a uuid from POST /terraform/v1/hooks/record/files`;
}

/** Where index.mp4's mdat payload is. */
async function mdatPayload(path: string): Promise<{ start: number; length: number } | null> {
  let src: FileSource | null = null;
  try {
    src = await FileSource.open(path);
    let pos = 0;
    while (pos + 8 <= src.size) {
      const h = readBoxHeader(await src.read(pos, Math.min(16, src.size - pos)), 0);
      if (!h) return null;
      if (h.type === 'mdat') return { start: pos + h.headerSize, length: Math.min(h.size, src.size - pos) - h.headerSize };
      pos += h.size;
    }
    return null;
  } catch {
    return null;
  } finally {
    await src?.close();
  }
}

/** Bytes [start, end] of a source as a stream; `close` runs once, when it ends or is destroyed. */
export function rangeStream(source: ByteSource, start: number, end: number, close: () => Promise<void>): Readable {
  let pos = start;
  let closed = false;
  const done = async () => {
    if (closed) return;
    closed = true;
    await close().catch(() => undefined);
  };
  return new Readable({
    read() {
      if (pos > end) {
        void done().then(() => this.push(null));
        return;
      }
      const n = Math.min(READ_CHUNK, end - pos + 1);
      source.read(pos, n).then(
        (b) => {
          pos += n;
          this.push(b);
        },
        (e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))),
      );
    },
    destroy(err, cb) {
      void done().then(() => cb(err));
    },
  });
}
