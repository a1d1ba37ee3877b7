import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VideoCodec, type Frame } from '../../../src/core/frame.js';
import { encodeAmf0 } from '../../../src/codecs/amf0.js';
import { FlvDemuxer, FlvTagType, flvBodyPrefixLength, flvBodyToFrame, writeFlvBodyPrefix } from '../../../src/codecs/flv.js';
import {
  ChunkDecoder,
  ChunkEncoder,
  RTMP_MAX_CHUNK_SIZE,
  RtmpProtocolError,
  type ChunkDecoderOptions,
  type RtmpMessage,
} from '../../../src/codecs/rtmp/chunk.js';
import {
  MessageType,
  PeerBandwidthLimit,
  UserControlEvent,
  abortMessage,
  acknowledgement,
  decodeCommand,
  decodeData,
  encodeCommand,
  encodeData,
  parseControlValue,
  parseSetPeerBandwidth,
  parseUserControl,
  setChunkSize,
  setPeerBandwidth,
  splitAggregate,
  userControl,
  windowAckSize,
} from '../../../src/codecs/rtmp/messages.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url));
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const fill = (n: number, seed = 1): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
};

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s;
  };
}

type Opts = Omit<ChunkDecoderOptions, 'onMessage'>;

function decodeWith(chunks: Buffer[], opts: Opts = {}): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  const d = new ChunkDecoder({ ...opts, onMessage: (m) => out.push({ ...m, payload: Buffer.from(m.payload) }) });
  for (const c of chunks) d.push(c);
  return out;
}

/** Decodes `stream` whole, one byte at a time and in random pieces, and checks all three agree. */
function decodeAll(stream: Buffer, opts: Opts = {}): RtmpMessage[] {
  const whole = decodeWith([stream], opts);
  const bytes = decodeWith([...stream].map((b) => Buffer.from([b])), opts);
  assert.deepEqual(bytes, whole, 'byte-at-a-time decoding differs');
  const r = rng(stream.length);
  const pieces: Buffer[] = [];
  for (let p = 0; p < stream.length; ) {
    const n = 1 + (r() % 200);
    pieces.push(Buffer.from(stream.subarray(p, p + n)));
    p += n;
  }
  assert.deepEqual(decodeWith(pieces, opts), whole, 'random-split decoding differs');
  return whole;
}

function expectProtocolError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RtmpProtocolError, `expected RtmpProtocolError, got ${String(err)}`);
    assert.equal(err.code, 'RTMP_PROTOCOL');
    assert.match(err.message, re);
    return true;
  });
}

const msg = (csid: number, type: number, streamId: number, timestamp: number, payload: Buffer): RtmpMessage => ({
  csid, type, streamId, timestamp, payload,
});

test('chunk: type 0 header, single chunk, payload is a view of the input', () => {
  const payload = fill(10);
  const input = Buffer.concat([hex('03 0003e8 00000a 14 01000000'), payload]);
  const got: RtmpMessage[] = [];
  const d = new ChunkDecoder({ onMessage: (m) => got.push(m) });
  d.push(input);
  assert.deepEqual(got, [msg(3, 20, 1, 1000, payload)]);
  assert.equal(got[0].payload.buffer, input.buffer);
  assert.equal(d.bytesReceived, input.length);
  assert.deepEqual(decodeAll(input), got);
});

test('chunk: types 1, 2 and 3 apply deltas; type 3 starting a message re-applies the last delta', () => {
  const a = fill(4, 1);
  const b = fill(3, 2);
  const c = fill(3, 3);
  const stream = Buffer.concat([
    hex('04 0003e8 000004 08 01000000'), a, // type 0: ts 1000
    hex('44 000014 000003 08'), b, // type 1: +20 -> 1020, length 3
    hex('84 00001e'), c, // type 2: +30 -> 1050
    hex('c4'), b, // type 3: +30 -> 1080
    hex('c4'), c, // type 3: +30 -> 1110
  ]);
  assert.deepEqual(decodeAll(stream), [
    msg(4, 8, 1, 1000, a),
    msg(4, 8, 1, 1020, b),
    msg(4, 8, 1, 1050, c),
    msg(4, 8, 1, 1080, b),
    msg(4, 8, 1, 1110, c),
  ]);
});

test('chunk: type 3 right after type 0 uses the type 0 timestamp as its delta (5.3.1.2.4)', () => {
  const p = fill(2);
  const stream = Buffer.concat([hex('05 000028 000002 09 01000000'), p, hex('c5'), p, hex('c5'), p]);
  assert.deepEqual(
    decodeAll(stream).map((m) => m.timestamp),
    [40, 80, 120],
  );
});

test('chunk: a message spanning chunks is reassembled', () => {
  const p = fill(300);
  const stream = Buffer.concat([
    hex('06 000000 00012c 09 01000000'), p.subarray(0, 128),
    hex('c6'), p.subarray(128, 256),
    hex('c6'), p.subarray(256),
  ]);
  assert.deepEqual(decodeAll(stream), [msg(6, 9, 1, 0, p)]);
});

test('chunk: extended timestamps, including on type 3 chunks after an extended header', () => {
  const p = fill(300);
  const q = fill(5, 9);
  const stream = Buffer.concat([
    // type 0, ts 0x01000000 (extended), 300 bytes over three chunks, each type 3 chunk repeating the field
    hex('06 ffffff 00012c 09 01000000 01000000'), p.subarray(0, 128),
    hex('c6 01000000'), p.subarray(128, 256),
    hex('c6 01000000'), p.subarray(256),
    // type 3 new message: delta = the type 0 timestamp -> 0x02000000, still carrying the extended field
    hex('c6 01000000'), p.subarray(0, 128),
    hex('c6 01000000'), p.subarray(128, 256),
    hex('c6 01000000'), p.subarray(256),
    // type 1 with an extended delta of 0x01000005, 5 bytes
    hex('46 ffffff 000005 09 01000005'), q,
    // type 2 with a small delta: no extended field any more, and none on the next type 3
    hex('86 00000a'), q,
    hex('c6'), q,
    // 0xFFFFFE still fits in 24 bits
    hex('07 fffffe 000001 08 00000000 aa'),
  ]);
  assert.deepEqual(decodeAll(stream), [
    msg(6, 9, 1, 0x01000000, p),
    msg(6, 9, 1, 0x02000000, p),
    msg(6, 9, 1, 0x03000005, q),
    msg(6, 9, 1, 0x0300000f, q),
    msg(6, 9, 1, 0x03000019, q),
    msg(7, 8, 0, 0xfffffe, hex('aa')),
  ]);
});

test('chunk: timestamps wrap at 2^32', () => {
  const stream = Buffer.concat([hex('04 ffffff 000001 08 00000000 fffffff0 aa'), hex('84 000020 bb')]);
  assert.deepEqual(
    decodeAll(stream).map((m) => m.timestamp),
    [0xfffffff0, 0x10],
  );
});

test('chunk: messages of different chunk streams interleave', () => {
  const video = fill(300, 1);
  const audio = fill(200, 2);
  const stream = Buffer.concat([
    hex('06 000064 00012c 09 01000000'), video.subarray(0, 128),
    hex('04 000064 0000c8 08 01000000'), audio.subarray(0, 128),
    hex('c6'), video.subarray(128, 256),
    hex('c4'), audio.subarray(128),
    hex('c6'), video.subarray(256),
  ]);
  assert.deepEqual(decodeAll(stream), [msg(4, 8, 1, 100, audio), msg(6, 9, 1, 100, video)]);
});

test('chunk: 2- and 3-byte basic headers', () => {
  const p = fill(3);
  const stream = Buffer.concat([
    hex('00 00 000001 000003 14 00000000'), p, // csid 64
    hex('00 ff 000002 000003 14 00000000'), p, // csid 319
    hex('01 00 01 000003 000003 14 00000000'), p, // csid 320
    hex('01 00 9c 000004 000003 14 00000000'), p, // csid 40000 = 64 + 0x9c00
    hex('01 ff ff 000005 000003 14 00000000'), p, // csid 65599
    hex('c1 00 9c'), p, // type 3 on csid 40000: ts 4 + 4
    hex('40 ff 000001 000003 14'), p, // type 1 on csid 319
  ]);
  assert.deepEqual(
    decodeAll(stream).map((m) => [m.csid, m.timestamp]),
    [[64, 1], [319, 2], [320, 3], [40000, 4], [65599, 5], [40000, 8], [319, 3]],
  );
});

test('chunk: Set Chunk Size applies as soon as it completes', () => {
  const big = fill(1000);
  const big2 = fill(5000, 3);
  const stream = Buffer.concat([
    hex('02 000000 000004 01 00000000 00001000'), // 4096
    hex('06 000000 0003e8 09 01000000'), big, // 1000 bytes in one chunk
    hex('06 000000 001388 09 01000000'), big2.subarray(0, 4096),
    hex('c6'), big2.subarray(4096),
  ]);
  const got = decodeAll(stream);
  assert.deepEqual(got[0], msg(2, MessageType.SetChunkSize, 0, 0, hex('00001000')));
  assert.deepEqual(got.slice(1), [msg(6, 9, 1, 0, big), msg(6, 9, 1, 0, big2)]);
  const d = new ChunkDecoder({ onMessage: () => {} });
  d.push(stream.subarray(0, 16));
  assert.equal(d.chunkSize, 4096);
});

test('chunk: Abort discards the partial message of that chunk stream', () => {
  const p = fill(300);
  const small = fill(10);
  const stream = Buffer.concat([
    hex('06 000000 00012c 09 01000000'), p.subarray(0, 128), // partial video on csid 6
    abortMessage(6),
    hex('06 000028 00000a 09 01000000'), small, // a fresh message on csid 6
    abortMessage(9), // unknown chunk stream: ignored
  ]);
  const got = decodeAll(stream);
  assert.deepEqual(got.map((m) => m.type), [MessageType.Abort, 9, MessageType.Abort]);
  assert.deepEqual(got[1], msg(6, 9, 1, 40, small));
});

test('chunk: invalid chunk sizes are refused', () => {
  const scs = (v: string): Buffer => hex(`02 000000 000004 01 00000000 ${v}`);
  const push = (b: Buffer): void => new ChunkDecoder({ onMessage: () => {} }).push(b);
  expectProtocolError(() => push(scs('00000000')), /chunk size 0 is invalid/);
  expectProtocolError(() => push(scs('80000000')), /spec maximum/);
  expectProtocolError(() => push(scs('ffffffff')), /spec maximum/);
  expectProtocolError(() => push(scs('7fffffff')), /larger than the 16777216 bytes/);
  expectProtocolError(() => push(scs('01000001')), /larger than/);
  push(scs('01000000')); // exactly 16 MiB is fine
  expectProtocolError(() => push(hex('02 000000 000002 01 00000000 0010')), /need 4/);
  const enc = new ChunkEncoder();
  expectProtocolError(() => (enc.chunkSize = 0), /at least 1/);
  expectProtocolError(() => (enc.chunkSize = RTMP_MAX_CHUNK_SIZE + 1), /larger than/);
  expectProtocolError(() => setChunkSize(2 ** 31), /spec maximum/);
});

test('chunk: protocol errors', () => {
  const push = (b: Buffer, opts: Opts = {}): void => new ChunkDecoder({ ...opts, onMessage: () => {} }).push(b);
  expectProtocolError(() => push(hex('06 000000 0003e9 09 01000000'), { maxMessageSize: 1000 }), /1001 bytes .* exceeds the limit of 1000/);
  push(hex('06 000000 0003e8 09 01000000'), { maxMessageSize: 1000 });
  expectProtocolError(() => push(hex('46 000000 000003 09')), /type 1 on chunk stream 6, which never had a type 0/);
  expectProtocolError(() => push(hex('86 000000')), /type 2/);
  expectProtocolError(() => push(hex('c6')), /type 3/);
  expectProtocolError(() => push(hex('c1 00 9c')), /chunk stream 40000/);
  expectProtocolError(
    () => push(Buffer.concat([hex('06 000000 00012c 09 01000000'), fill(128), hex('86 000000')])),
    /while a message is incomplete \(128 of 300 bytes\)/,
  );
  // many chunk streams each announcing a large message
  const many: Buffer[] = [];
  for (let csid = 10; csid < 20; csid++) many.push(hex(`${csid.toString(16).padStart(2, '0')} 000000 0f0000 09 01000000`), fill(128));
  expectProtocolError(() => push(Buffer.concat(many), { maxMessageSize: 0xf0000 }), /too many incomplete messages/);
});

test('chunk: a zero-length message is delivered', () => {
  assert.deepEqual(decodeAll(hex('03 000005 000000 14 00000000 c3')), [
    msg(3, 20, 0, 5, Buffer.alloc(0)),
    msg(3, 20, 0, 10, Buffer.alloc(0)),
  ]);
});

test('chunk encoder: exact bytes', () => {
  const enc = new ChunkEncoder();
  assert.deepEqual(
    enc.encode(3, 20, 0, 1000, hex('0102')),
    hex('03 0003e8 000002 14 00000000 0102'),
  );
  const p = fill(300);
  assert.deepEqual(
    enc.encode(6, 9, 1, 0x01000000, p),
    Buffer.concat([
      hex('06 ffffff 00012c 09 01000000 01000000'), p.subarray(0, 128),
      hex('c6 01000000'), p.subarray(128, 256),
      hex('c6 01000000'), p.subarray(256),
    ]),
  );
  assert.deepEqual(enc.encode(320, 8, 1, 0, []), hex('01 0001 000000 000000 08 01000000'));
  assert.deepEqual(enc.encode(100, 8, 1, 0, Buffer.alloc(0)), hex('00 24 000000 000000 08 01000000'));
  expectProtocolError(() => enc.encode(1, 8, 0, 0, Buffer.alloc(1)), /outside 2\.\.65599/);
  expectProtocolError(() => enc.encode(65600, 8, 0, 0, Buffer.alloc(1)), /outside/);
  expectProtocolError(() => enc.encode(3, 8, 0, 0, [Buffer.alloc(2)], 3), /does not match/);
  assert.equal(enc.encodedLength(3, 0, 300), 300 + 12 + 2);
});

test('chunk: encoder -> decoder round trip over random sizes, chunk sizes, csids, timestamps', () => {
  const r = rng(7);
  const csids = [2, 3, 4, 63, 64, 100, 319, 320, 1000, 65599];
  for (let round = 0; round < 60; round++) {
    const chunkSize = [1, 2, 7, 128, 1000, 4096, 65536][r() % 7];
    const enc = new ChunkEncoder();
    enc.chunkSize = chunkSize;
    const expected: RtmpMessage[] = [];
    const parts: Buffer[] = [setChunkSize(chunkSize)];
    expected.push(msg(2, 1, 0, 0, hex((chunkSize >>> 0).toString(16).padStart(8, '0'))));
    for (let i = 0; i < 12; i++) {
      const len = r() % 3 === 0 ? r() % 20000 : r() % 300;
      const payload = fill(len, r());
      const csid = csids[r() % csids.length];
      const ts = r() % 4 === 0 ? 0xffffff + (r() % 1000) : r() % 100000;
      const sid = r() % 3;
      const type = [8, 9, 18, 20][r() % 4];
      const mode = r() % 3;
      if (mode === 0) parts.push(enc.encode(csid, type, sid, ts, payload));
      else if (mode === 1) {
        const cut = len === 0 ? 0 : r() % len;
        parts.push(enc.encode(csid, type, sid, ts, [payload.subarray(0, cut), Buffer.alloc(0), payload.subarray(cut)], len));
      } else {
        const pre = Math.min(len, r() % 9);
        const scratch = Buffer.alloc(16, 0xee);
        payload.copy(scratch, 0, 0, pre);
        parts.push(enc.encodeWithPrefix(csid, type, sid, ts, scratch, pre, payload.subarray(pre)));
      }
      expected.push(msg(csid, type, sid, ts, payload));
    }
    const stream = Buffer.concat(parts);
    const got = round % 10 === 0 ? decodeAll(stream) : decodeWith([stream]);
    assert.deepEqual(got, expected, `round ${round}, chunk size ${chunkSize}`);
  }
});

test('chunk: encodeWithPrefix carries an FLV body without concatenating', () => {
  const enc = new ChunkEncoder();
  enc.chunkSize = 60;
  const frame: Frame = {
    type: 'video', codec: VideoCodec.H264, dts: 5000, pts: 5080, keyframe: true, header: false, data: fill(500),
  };
  const scratch = Buffer.allocUnsafe(16);
  const n = writeFlvBodyPrefix(frame, scratch, 0);
  assert.equal(n, flvBodyPrefixLength(frame));
  const out = enc.encodeWithPrefix(6, MessageType.Video, 1, frame.dts, scratch, n, frame.data);
  const [m] = decodeWith([setChunkSize(60), out]).slice(1);
  assert.equal(m.payload.length, 505);
  assert.deepEqual(flvBodyToFrame(FlvTagType.Video, m.timestamp, m.payload), frame);
});

test('chunk: random garbage throws only RtmpProtocolError', () => {
  const r = rng(3);
  let messages = 0;
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.allocUnsafe(r() % 400);
    for (let j = 0; j < b.length; j++) b[j] = r() & 0xff;
    const d = new ChunkDecoder({ maxMessageSize: 1 << 16, onMessage: () => messages++ });
    try {
      for (let p = 0; p < b.length; p += 37) d.push(b.subarray(p, p + 37));
    } catch (err) {
      assert.ok(err instanceof RtmpProtocolError, `non-RtmpProtocolError thrown: ${String(err)}`);
    }
  }
  const real = fixture('rtmp-publish-ffmpeg.bin');
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(real);
    for (let k = 0; k < 1 + (r() % 6); k++) b[r() % b.length] = r() & 0xff;
    const d = new ChunkDecoder({ onMessage: () => messages++ });
    try {
      d.push(b);
    } catch (err) {
      assert.ok(err instanceof RtmpProtocolError, `non-RtmpProtocolError thrown: ${String(err)}`);
    }
  }
  assert.ok(messages > 0);
});

test('chunk: FFmpeg publish capture decodes to the commands and the FLV tags of the source file', () => {
  // Captured after the handshake from `ffmpeg -i test/fixtures/small.flv -c copy -f flv rtmp://.../live/stream?key=abc`
  const stream = fixture('rtmp-publish-ffmpeg.bin');
  const got = decodeAll(stream);
  const names = got.filter((m) => m.type === MessageType.CommandAmf0).map((m) => decodeCommand(m).name);
  assert.deepEqual(names, ['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish', 'FCUnpublish', 'deleteStream']);
  const connect = decodeCommand(got[0]);
  assert.equal(connect.transactionId, 1);
  assert.deepEqual((connect.commandObject as { app: string }).app, 'live');
  const publish = decodeCommand(got.find((m) => m.type === MessageType.CommandAmf0 && decodeCommand(m).name === 'publish')!);
  assert.deepEqual(publish.args, ['stream?key=abc', 'live']);

  const data = got.filter((m) => m.type === MessageType.DataAmf0);
  assert.equal(data.length, 1);
  const values = decodeData(data[0]);
  assert.equal(values[0], '@setDataFrame');
  assert.equal(values[1], 'onMetaData');
  const meta = flvBodyToFrame(FlvTagType.Script, data[0].timestamp, data[0].payload)!;
  assert.equal(meta.type, 'script');

  // Audio/video messages carry exactly the tag bodies of the source file, with its timestamps.
  const media = got.filter((m) => m.type === MessageType.Audio || m.type === MessageType.Video);
  const tags: { type: number; timestamp: number; body: Buffer }[] = [];
  new FlvDemuxer({ onTag: (type, timestamp, body) => tags.push({ type, timestamp, body }) }).push(fixture('small.flv'));
  const avTags = tags.filter((t) => t.type !== FlvTagType.Script);
  assert.equal(media.length, avTags.length);
  for (let i = 0; i < media.length; i++) {
    assert.equal(media[i].type, avTags[i].type);
    assert.equal(media[i].timestamp, avTags[i].timestamp);
    assert.deepEqual(media[i].payload, avTags[i].body);
    assert.equal(media[i].streamId, 1);
  }
});

test('messages: protocol control builders', () => {
  assert.deepEqual(setChunkSize(4096), hex('02 000000 000004 01 00000000 00001000'));
  assert.deepEqual(windowAckSize(2500000), hex('02 000000 000004 05 00000000 002625a0'));
  assert.deepEqual(setPeerBandwidth(2500000, PeerBandwidthLimit.Dynamic), hex('02 000000 000005 06 00000000 002625a0 02'));
  assert.deepEqual(acknowledgement(2 ** 32 + 5), hex('02 000000 000004 03 00000000 00000005'));
  assert.deepEqual(userControl(UserControlEvent.StreamBegin, 1), hex('02 000000 000006 04 00000000 0000 00000001'));
  assert.deepEqual(
    userControl(UserControlEvent.SetBufferLength, 1, 3000),
    hex('02 000000 00000a 04 00000000 0003 00000001 00000bb8'),
  );
  const got = decodeWith([windowAckSize(5000), setPeerBandwidth(6000, PeerBandwidthLimit.Hard), acknowledgement(77)]);
  assert.deepEqual(got.map(parseControlValue), [5000, 6000, 77]);
  assert.deepEqual(parseSetPeerBandwidth(got[1].payload), { size: 6000, limitType: PeerBandwidthLimit.Hard });
  expectProtocolError(() => parseControlValue(msg(2, 3, 0, 0, hex('00'))), /Acknowledgement message of 1 bytes/);
  expectProtocolError(() => parseSetPeerBandwidth(hex('00000001')), /need 5/);
});

test('messages: user control parsing', () => {
  assert.deepEqual(parseUserControl(hex('0006 0000abcd')), { event: UserControlEvent.PingRequest, value: 0xabcd });
  assert.deepEqual(parseUserControl(hex('0003 00000001 000003e8')), {
    event: UserControlEvent.SetBufferLength, value: 1, extra: 1000,
  });
  expectProtocolError(() => parseUserControl(hex('0003 00000001')), /need 10/);
  expectProtocolError(() => parseUserControl(hex('0000 0000')), /at least 6/);
});

test('messages: commands, AMF0 and AMF3-wrapped', () => {
  const enc = new ChunkEncoder();
  const wire = encodeCommand(enc, 3, 0, ['connect', 1, { app: 'live' }, 'extra']);
  const [m] = decodeWith([wire]);
  assert.deepEqual([m.csid, m.type, m.streamId, m.timestamp], [3, MessageType.CommandAmf0, 0, 0]);
  assert.deepEqual(decodeCommand(m), { name: 'connect', transactionId: 1, commandObject: { app: 'live' }, args: ['extra'] });
  const amf3 = msg(3, MessageType.CommandAmf3, 1, 0, Buffer.concat([hex('00'), encodeAmf0(['play', 4, null, 'cam'])]));
  assert.deepEqual(decodeCommand(amf3), { name: 'play', transactionId: 4, commandObject: null, args: ['cam'] });
  assert.deepEqual(decodeCommand(msg(3, 20, 0, 0, encodeAmf0(['closeStream']))), {
    name: 'closeStream', transactionId: 0, commandObject: null, args: [],
  });
  expectProtocolError(() => decodeCommand(msg(3, 17, 0, 0, hex('11 0a'))), /AMF3 encoding is not supported/);
  expectProtocolError(() => decodeCommand(msg(3, 20, 0, 0, encodeAmf0([1, 2]))), /command name/);
  expectProtocolError(() => decodeCommand(msg(3, 20, 0, 0, hex('02 0005 61'))), /invalid command message: truncated/);
  expectProtocolError(() => decodeCommand(msg(3, 8, 0, 0, hex('af'))), /not a command/);
  const data = decodeWith([encodeData(enc, 5, 1, 100, ['|RtmpSampleAccess', false, false])]);
  assert.deepEqual(decodeData(data[0]), ['|RtmpSampleAccess', false, false]);
  assert.equal(data[0].timestamp, 100);
  assert.deepEqual(decodeData(msg(5, 15, 1, 0, Buffer.concat([hex('00'), encodeAmf0(['onMetaData', {}])]))), ['onMetaData', {}]);
});

test('messages: aggregate messages split into sub-messages', () => {
  const v = fill(20, 1);
  const a = fill(7, 2);
  const sub = (type: number, ts: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(11);
    h[0] = type;
    h.writeUIntBE(body.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = ts >>> 24;
    const back = Buffer.alloc(4);
    back.writeUInt32BE(11 + body.length);
    return Buffer.concat([h, body, back]);
  };
  const payload = Buffer.concat([sub(9, 0x01000010, v), sub(8, 0x01000030, a)]);
  const parts = splitAggregate(msg(6, MessageType.Aggregate, 1, 5000, payload));
  assert.deepEqual(parts, [msg(6, 9, 1, 5000, v), msg(6, 8, 1, 5032, a)]);
  assert.equal(parts[0].payload.buffer, payload.buffer);
  // without the final back pointer
  assert.equal(splitAggregate(msg(6, 22, 1, 0, payload.subarray(0, payload.length - 4))).length, 2);
  assert.deepEqual(splitAggregate(msg(6, 22, 1, 0, Buffer.alloc(0))), []);
  expectProtocolError(() => splitAggregate(msg(6, 22, 1, 0, payload.subarray(0, 50))), /overruns/);
  expectProtocolError(() => splitAggregate(msg(6, 22, 1, 0, payload.subarray(0, 5))), /header at offset 0/);
  expectProtocolError(() => splitAggregate(msg(6, 22, 1, 0, payload.subarray(0, payload.length - 2))), /back pointer/);
});
