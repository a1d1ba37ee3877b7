// The transcode configs (SRS Stack's global one and our per-stream ladders) and the FFmpeg command they make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PROFILE,
  configErrorOf,
  decodeTranscodeConfig,
  encodeTranscodeConfig,
  globalProfile,
  joinOutputUrl,
  profileOutputArgs,
  scaleFilter,
  transcodeArgs,
  type GlobalTranscodeConfig,
} from '../../../src/control/jobs/transcode/profile.js';
import { abrStream, parseStreamPath, renditionStream } from '../../../src/control/jobs/transcode/transcoder.js';

const G: GlobalTranscodeConfig = {
  all: true, vcodec: 'libx264', acodec: 'aac', vbitrate: 1200, abitrate: 64, vprofile: 'baseline', vpreset: 'faster', achannels: 0,
  server: 'rtmp://localhost/live/', secret: 'livestream-trans?secret=abc',
};

test('SRS Stack global config: stored verbatim as its JSON, read back, its output URL joined as SRS Stack joins it', () => {
  const text = encodeTranscodeConfig({ kind: 'global', global: G });
  assert.deepEqual(JSON.parse(text), G);
  assert.deepEqual(decodeTranscodeConfig(text), { kind: 'global', global: G });
  // a config SRS Stack wrote with fields missing reads as zero values
  assert.deepEqual(decodeTranscodeConfig('{"all":true}'), { kind: 'global', global: { ...G, vcodec: '', acodec: '', vbitrate: 0, abitrate: 0, vprofile: '', vpreset: '', server: '', secret: '' } });
  assert.equal(joinOutputUrl('rtmp://h/live/', 's'), 'rtmp://h/live/s');
  assert.equal(joinOutputUrl('rtmp://h/live', 's'), 'rtmp://h/live/s');
  assert.equal(joinOutputUrl('rtmp://h/live', '/s'), 'rtmp://h/live/s');
  assert.equal(joinOutputUrl('rtmp://h/live/x', ''), 'rtmp://h/live/x');
  const p = globalProfile(G);
  assert.equal(p.target, 'rtmp://localhost/live/livestream-trans?secret=abc');
  assert.equal(p.fps, 25);
  // SRS Stack's command: -r 25 -g 50 -bf 0 -tune zerolatency, profile and preset
  const a = profileOutputArgs(p, 1).join(' ');
  for (const want of ['-c:v libx264', '-profile:v baseline', '-preset:v faster', '-tune zerolatency', '-b:v 1200k', '-r 25', '-g 50', '-bf 0', '-c:a aac', '-b:a 64k']) {
    assert.ok(a.includes(want), `${want} in ${a}`);
  }
  assert.ok(!a.includes('-ac '), 'achannels 0 keeps the input');
});

test('per-stream configs round-trip; unusable ones are refused', () => {
  const c = { stream: 'live/s', enabled: true, label: 'x', profiles: [{ ...DEFAULT_PROFILE }, { ...DEFAULT_PROFILE, name: '360p', size: '640x360', target: 'rtmp://x/y/z' }] };
  assert.deepEqual(decodeTranscodeConfig(encodeTranscodeConfig({ kind: 'stream', stream: c })), { kind: 'stream', stream: c });
  assert.equal(decodeTranscodeConfig('not json'), null);
  assert.equal(decodeTranscodeConfig('[1]'), null);
  assert.equal(decodeTranscodeConfig('{"stream":"live/s","profiles":[{"name":"../x"}]}'), null);
  assert.equal(decodeTranscodeConfig('{"profiles":[]}'), null);
});

test('renditions: size, fps, keyframes at the same times, bitrate held, output on its own fd', () => {
  assert.equal(scaleFilter(''), null);
  assert.equal(scaleFilter('1280x720'), 'scale=1280:720');
  assert.equal(scaleFilter('721x481'), 'scale=720:480');
  assert.equal(scaleFilter('360'), 'scale=-2:360');
  assert.equal(scaleFilter('360p'), 'scale=-2:360');
  assert.equal(scaleFilter('big'), null);
  const a = profileOutputArgs({ ...DEFAULT_PROFILE, fps: 30, size: '360', vbitrate: 500, achannels: 1, vcodec: 'libvpx' }, 4);
  const s = a.join(' ');
  for (const want of ['-r 30', '-g 60', '-keyint_min 60', '-sc_threshold 0', '-force_key_frames expr:gte(t,n_forced*2)', '-maxrate 500k', '-bufsize 1000k', '-vf scale=-2:360', '-ac 1']) {
    assert.ok(s.includes(want), `${want} in ${s}`);
  }
  assert.ok(!s.includes('zerolatency'), 'only x264/x265 get -tune zerolatency');
  assert.deepEqual(a.slice(-3), ['-f', 'flv', 'pipe:4']);
  const all = transcodeArgs([DEFAULT_PROFILE, { ...DEFAULT_PROFILE, name: 'b' }], [1, 4]);
  assert.deepEqual(all.slice(all.indexOf('-i'), all.indexOf('-i') + 2), ['-i', 'pipe:0']);
  assert.deepEqual(all.filter((x) => x.startsWith('pipe:')), ['pipe:0', 'pipe:1', 'pipe:4']);
});

test('FFmpeg lines that mean the command itself is wrong, and lines that do not', () => {
  assert.equal(configErrorOf(['x', "Unknown encoder 'libnope'"]), "Unknown encoder 'libnope'");
  assert.match(configErrorOf(['[libx264 @ 0x1] Error setting profile nope.']) ?? '', /profile/);
  assert.equal(configErrorOf(['pipe:0: Invalid data found when processing input']), null);
  assert.equal(configErrorOf([]), null);
});

test('stream names of renditions and ABR groups', () => {
  assert.equal(renditionStream('livestream', '720p'), 'livestream_720p');
  assert.equal(abrStream('livestream'), 'livestream_abr');
  assert.deepEqual(parseStreamPath('live/s1'), { vhost: '__defaultVhost__', app: 'live', stream: 's1', param: '' });
  assert.deepEqual(parseStreamPath('/live/s1')?.stream, 's1');
  for (const bad of ['live', 'live/', 'a/b/c', '../x', 'live/s s', '']) assert.equal(parseStreamPath(bad), null, bad);
});
