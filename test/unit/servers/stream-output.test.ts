import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localStreamOf } from '../../../src/servers/stream-output.js';

const ports = { rtmp: 1935, srt: 10080 };

test('localStreamOf: our RTMP port on this host is a stream of ours, with its secret kept for the hooks', () => {
  const u = localStreamOf('rtmp://localhost/live/cam1?secret=abc', ports);
  assert.deepEqual(u, { vhost: '__defaultVhost__', app: 'live', stream: 'cam1', param: '?secret=abc' });
  assert.equal(localStreamOf('rtmp://127.0.0.1:1935/live/x', ports)?.stream, 'x');
});

test('localStreamOf: another port, another host, RTMPS and garbage are targets, not ours', () => {
  assert.equal(localStreamOf('rtmp://localhost:1936/live/x', ports), null);
  assert.equal(localStreamOf('rtmp://a.rtmp.youtube.com/live2/key', ports), null);
  assert.equal(localStreamOf('rtmps://localhost:1935/live/x', ports), null);
  assert.equal(localStreamOf('rtmp://', ports), null);
  assert.equal(localStreamOf('rtmp://localhost/../x', ports), null);
});

test('localStreamOf: SRT to our port with a publish stream id is ours; a play stream id or no SRT is not', () => {
  const sid = encodeURIComponent('#!::r=live/s1?secret=k,m=publish');
  assert.equal(localStreamOf(`srt://127.0.0.1:10080?streamid=${sid}`, ports)?.stream, 's1');
  assert.equal(localStreamOf(`srt://127.0.0.1:10080?streamid=${encodeURIComponent('#!::r=live/s1,m=request')}`, ports), null);
  assert.equal(localStreamOf(`srt://127.0.0.1:10080?streamid=${sid}`, { rtmp: 1935, srt: 0 }), null);
});
