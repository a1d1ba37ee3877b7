// Virtual live's pure parts: platform names, SRS Stack's output URL rule, the probe checks (codecs, bitrate),
// stored configs (SRS Stack's and broken ones), stream URLs, upload targets, and server paths (under DATA_DIR
// or VLIVE_FILE_DIRS only; "..", symlinks out and other directories refused) on a real directory tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputUrl, parseVliveConfig, platformError, probeFields, sourceError } from '../../../src/control/jobs/vlive/config.js';
import { SourceError, serverFile, streamUrlError, uploadTargetError } from '../../../src/control/jobs/vlive/files.js';
import { redactOutput } from '../../../src/control/jobs/vlive/vlive.js';

test('vlive: platforms as SRS Stack takes them', () => {
  for (const ok of ['wx', 'bilibili', 'kuaishou', 'vlive-1', 'vlive-abc-12ef34']) assert.equal(platformError(ok), null, ok);
  for (const bad of ['', 'youtube', 'vlive 1', 'a/vlive-1', 'x'.repeat(70) + 'vlive-']) assert.ok(platformError(bad), bad);
});

test('vlive: the output URL is server, "/" when neither side has one, secret', () => {
  assert.equal(outputUrl({ server: 'rtmp://h/live', secret: 's?secret=x' }), 'rtmp://h/live/s?secret=x');
  assert.equal(outputUrl({ server: 'rtmp://h/live/', secret: 's' }), 'rtmp://h/live/s');
  assert.equal(outputUrl({ server: 'rtmp://h/live', secret: '/s' }), 'rtmp://h/live/s');
  assert.equal(outputUrl({ server: 'rtmp://h/live/s', secret: '' }), 'rtmp://h/live/s');
  assert.equal(redactOutput('rtmp://u:p@h/live/s?secret=abc&x=1'), 'rtmp://***@h/live/s?secret=***&x=1');
});

test('vlive: probe checks name the codec, the bitrate and what to do', () => {
  const probe = (v: string | null, a: string | null, bitRate = '1000000') =>
    probeFields({
      format: { format_name: 'mov', duration: '10', bit_rate: bitRate, nb_streams: 2, probe_score: 100 },
      streams: [...(v ? [{ codec_type: 'video', codec_name: v, width: 320, height: 240 }] : []), ...(a ? [{ codec_type: 'audio', codec_name: a, sample_rate: '44100', channels: 2 }] : [])],
    });
  assert.equal(sourceError('a.mp4', probe('h264', 'aac'), 5000), null);
  assert.equal(sourceError('a.mp4', probe('hevc', 'mp3'), 5000), null);
  assert.equal(sourceError('a.mp4', probe(null, 'aac'), 5000), null);
  assert.match(sourceError('a.mp4', probe('mpeg4', 'aac'), 5000) ?? '', /invalid video codec mpeg4 in a\.mp4.*libx264/);
  assert.match(sourceError('a.mp4', probe('h264', 'opus'), 5000) ?? '', /invalid audio codec opus/);
  assert.match(sourceError('a.mp4', probe(null, null), 5000) ?? '', /no video or audio track/);
  assert.match(sourceError('a.mp4', probe('h264', 'aac', '6000000'), 5000) ?? '', /bitrate 6000Kbps of a\.mp4 is too large, exceed 5000Kbps/);
  const p = probe('h264', 'aac');
  assert.equal(p.format?.has_video, true);
  assert.equal(p.video?.width, 320);
  assert.equal(p.audio?.sample_rate, '44100');
});

test('vlive: stored configs, SRS Stack\'s and broken ones', () => {
  const c = parseVliveConfig(JSON.stringify({ platform: 'vlive-1', server: 'rtmp://x/live', secret: 's', enabled: true, custom: true, label: 'L', files: [{ name: 'a.mp4', target: 'vlive/a.mp4', type: 'upload', size: '12' }, { type: 'nope', target: 'x' }] }));
  assert.equal(c?.files.length, 1);
  assert.equal(c?.files[0]?.size, 12);
  assert.equal(c?.enabled, true);
  assert.equal(parseVliveConfig('{'), null);
  assert.equal(parseVliveConfig('[]'), null);
  assert.equal(parseVliveConfig(JSON.stringify({ platform: 'youtube' })), null);
  assert.deepEqual(parseVliveConfig(JSON.stringify({ platform: 'wx' }))?.files, []);
});

test('vlive: stream URLs and upload targets', () => {
  for (const ok of ['rtmp://h/live/s', 'rtmps://h/live/s', 'srt://h:10080?streamid=x', 'rtsp://u:p@cam/1', 'http://h/live/s.flv', 'https://h/a/b.m3u8', 'http://h/s.ts?x=1']) {
    assert.equal(streamUrlError(ok), null, ok);
  }
  assert.match(streamUrlError('ftp://h/a.flv') ?? '', /invalid url scheme ftp/);
  assert.match(streamUrlError('http://h/index.html') ?? '', /HTTP-FLV/);
  assert.match(streamUrlError('not a url') ?? '', /invalid url/);
  assert.equal(uploadTargetError('/data', 'upload/1234.mp4'), null);
  assert.equal(uploadTargetError('/data', '/data/upload/1234.mp4'), null);
  for (const bad of ['upload/../redis/x.rdb', 'record/x.mp4', '/etc/passwd', 'upload', 'upload/a/b.mp4']) assert.ok(uploadTargetError('/data', bad), bad);
});

test('vlive: server files only under DATA_DIR or VLIVE_FILE_DIRS', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vlive-files-'));
  try {
    const data = join(root, 'data');
    const extra = join(root, 'videos');
    const other = join(root, 'other');
    for (const d of [data, extra, other, join(data, 'media')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(data, 'media', 'a.mp4'), 'x');
    writeFileSync(join(extra, 'b.flv'), 'xy');
    writeFileSync(join(other, 'c.mp4'), 'x');
    writeFileSync(join(data, 'notes.txt'), 'x');
    symlinkSync(join(other, 'c.mp4'), join(data, 'link.mp4'));
    symlinkSync(join(extra, 'b.flv'), join(data, 'inside.flv'));
    assert.deepEqual(await serverFile(join(data, 'media', 'a.mp4'), data, [extra]), { path: join(data, 'media', 'a.mp4'), size: 1 });
    assert.equal((await serverFile('media/a.mp4', data, [extra])).path, join(data, 'media', 'a.mp4'));
    assert.equal((await serverFile(join(extra, 'b.flv'), data, [extra])).size, 2);
    assert.equal((await serverFile(join(data, 'inside.flv'), data, [extra])).path, join(extra, 'b.flv'), 'a symlink to an allowed directory is fine');
    const refused = async (p: string, re: RegExp) => {
      await assert.rejects(serverFile(p, data, [extra]), (e: Error) => e instanceof SourceError && re.test(e.message));
    };
    await refused(join(other, 'c.mp4'), /only read under/);
    await refused(`${data}/../other/c.mp4`, /"\.\." is not allowed/);
    await refused('../other/c.mp4', /"\.\." is not allowed/);
    await refused(join(data, 'link.mp4'), /symlink to .*outside/);
    await refused(join(data, 'notes.txt'), /must end in/);
    await refused(join(data, 'missing.mp4'), /no file/);
    await refused('', /no file/);
    await refused(join(data, 'media'), /must end in/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
