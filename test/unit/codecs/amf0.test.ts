import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AMF0_MAX_DEPTH,
  Amf0Error,
  decodeAmf0,
  decodeAmf0Value,
  encodeAmf0,
  encodeAmf0EcmaArray,
  encodeAmf0OnMetaData,
  type Amf0Object,
  type Amf0Value,
} from '../../../src/codecs/amf0.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The connect command FFmpeg 5.1 (Lavf59.27.100) sent to rtmp://127.0.0.1:19350/live/stream, captured. */
const FFMPEG_CONNECT = hex(
  '020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479706502000a6e6f6e707269766174650008' +
    '666c617368566572020024464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e313030290005746355' +
    '726c02001b72746d703a2f2f3132372e302e302e313a31393335302f6c697665000009',
);
const FFMPEG_CONNECT_VALUES: Amf0Value[] = [
  'connect',
  1,
  {
    app: 'live',
    type: 'nonprivate',
    flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)',
    tcUrl: 'rtmp://127.0.0.1:19350/live',
  },
];

function expectAmf0Error(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Amf0Error, `expected Amf0Error, got ${String(err)}`);
    assert.equal(err.code, 'AMF0_INVALID');
    assert.ok(err.message.length > 0);
    return true;
  });
}

test('AMF0: every value type round-trips', () => {
  const values: Amf0Value[] = [
    0,
    -1.5,
    Number.MAX_SAFE_INTEGER,
    true,
    false,
    '',
    'hello',
    'héllo wörld ✓',
    null,
    undefined,
    new Date(1700000000123),
    [],
    [1, 'two', null, [3], { four: 4 }],
    {},
    { a: 1, b: 'x', c: { d: [true, false], e: null, f: undefined }, '': 'empty key' },
  ];
  assert.deepEqual(decodeAmf0(encodeAmf0(values)), values);
});

test('AMF0: exact bytes of a hand-made command', () => {
  const buf = encodeAmf0(['_result', 1, { code: 'ok' }, null]);
  assert.deepEqual(
    buf,
    hex('02 0007 5f726573756c74  00 3ff0000000000000  03 0004 636f6465 02 0002 6f6b 000009  05'),
  );
});

test('AMF0: strings over 65535 bytes use the long string marker', () => {
  const long = 'x'.repeat(70000);
  const buf = encodeAmf0([long, 'short']);
  assert.equal(buf[0], 0x0c);
  assert.equal(buf.readUInt32BE(1), 70000);
  assert.deepEqual(decodeAmf0(buf), [long, 'short']);
  const exact = 'y'.repeat(65535);
  assert.equal(encodeAmf0([exact])[0], 0x02);
  // multi-byte characters count in bytes, not UTF-16 units
  const wide = 'é'.repeat(40000); // 80000 bytes
  assert.equal(encodeAmf0([wide])[0], 0x0c);
  assert.deepEqual(decodeAmf0(encodeAmf0([wide])), [wide]);
});

test('AMF0: ECMA arrays encode and decode to objects', () => {
  const meta: Amf0Object = { duration: 0, width: 320, height: 240, encoder: 'Lavf', stereo: true };
  const ecma = encodeAmf0EcmaArray(meta);
  assert.equal(ecma[0], 0x08);
  assert.equal(ecma.readUInt32BE(1), 5);
  assert.deepEqual(ecma.subarray(-3), hex('000009'));
  assert.deepEqual(decodeAmf0(ecma), [meta]);
  const onMeta = encodeAmf0OnMetaData(meta);
  assert.deepEqual(decodeAmf0(onMeta), ['onMetaData', meta]);
  // The count is a hint only: a wrong count still decodes up to the end marker.
  const wrongCount = Buffer.from(ecma);
  wrongCount.writeUInt32BE(0xffffffff, 1);
  assert.deepEqual(decodeAmf0(wrongCount), [meta]);
});

test('AMF0: decodes the connect command FFmpeg sends', () => {
  assert.deepEqual(decodeAmf0(FFMPEG_CONNECT), FFMPEG_CONNECT_VALUES);
  assert.deepEqual(encodeAmf0(FFMPEG_CONNECT_VALUES), FFMPEG_CONNECT);
});

test('AMF0: every truncation of the connect command throws Amf0Error, except at value boundaries', () => {
  // Boundaries between top-level values are valid AMF0 of fewer values.
  const boundaries = new Map<number, number>();
  let off = 0;
  boundaries.set(0, 0);
  for (let i = 0; i < FFMPEG_CONNECT_VALUES.length; i++) {
    off = decodeAmf0Value(FFMPEG_CONNECT, off).end;
    boundaries.set(off, i + 1);
  }
  assert.equal(off, FFMPEG_CONNECT.length);
  let thrown = 0;
  for (let len = 0; len < FFMPEG_CONNECT.length; len++) {
    const cut = FFMPEG_CONNECT.subarray(0, len);
    const count = boundaries.get(len);
    if (count !== undefined) {
      assert.deepEqual(decodeAmf0(cut), FFMPEG_CONNECT_VALUES.slice(0, count));
    } else {
      expectAmf0Error(() => decodeAmf0(cut));
      thrown++;
    }
  }
  assert.equal(thrown, FFMPEG_CONNECT.length - 3); // all but lengths 0, 10 and 19
});

test('AMF0: unknown and unsupported markers throw', () => {
  expectAmf0Error(() => decodeAmf0(hex('12')));
  expectAmf0Error(() => decodeAmf0(hex('ff')));
  expectAmf0Error(() => decodeAmf0(hex('11 00'))); // AMF3 switch
  expectAmf0Error(() => decodeAmf0(hex('09'))); // stray object end
  expectAmf0Error(() => decodeAmf0(hex('07 0000'))); // reference to nothing
  // Unsupported (0x0d) is a value, decoded as undefined
  assert.deepEqual(decodeAmf0(hex('0d 05')), [undefined, null]);
});

test('AMF0: forged lengths fail fast without allocating', () => {
  expectAmf0Error(() => decodeAmf0(hex('0a ffffffff 05 05'))); // strict array of 4 G elements
  expectAmf0Error(() => decodeAmf0(hex('0c ffffffff 61 62'))); // long string of 4 GB
  expectAmf0Error(() => decodeAmf0(hex('02 ffff 61'))); // string
  expectAmf0Error(() => decodeAmf0(hex('03 ffff 61'))); // property name
  expectAmf0Error(() => decodeAmf0(hex('08 ffffffff'))); // ECMA array without its properties
});

test('AMF0: references, typed objects, dates, XML', () => {
  // [ {a:1}, ref 0 ] inside a strict array: the array is ref 0, the object ref 1
  const buf = hex('0a 00000002  03 0001 61 00 3ff0000000000000 000009  07 0001');
  const [arr] = decodeAmf0(buf) as [Amf0Value[]];
  assert.deepEqual(arr[0], { a: 1 });
  assert.equal(arr[1], arr[0]);
  assert.deepEqual(decodeAmf0(hex('10 0003 466f6f 0001 62 05 000009')), [{ b: null }]);
  const dateBuf = hex('0b 0000000000000000 ffc4'); // a non-zero time-zone is ignored
  dateBuf.writeDoubleBE(1700000000000, 1);
  const d = decodeAmf0(dateBuf) as [Date];
  assert.ok(d[0] instanceof Date);
  assert.equal(d[0].getTime(), 1700000000000);
  assert.deepEqual(decodeAmf0(hex('0f 00000003 3c612f')), ['<a/']);
});

test('AMF0: depth limit in both directions', () => {
  let deep: Amf0Value = 1;
  for (let i = 0; i < AMF0_MAX_DEPTH; i++) deep = { x: deep };
  assert.deepEqual(decodeAmf0(encodeAmf0([deep])), [deep]);
  const tooDeep = { x: deep };
  expectAmf0Error(() => encodeAmf0([tooDeep]));
  // hand-build 65 nested objects for the decoder
  const parts: Buffer[] = [];
  for (let i = 0; i <= AMF0_MAX_DEPTH; i++) parts.push(hex('03 0001 78'));
  parts[parts.length - 1] = hex('03');
  parts.push(hex('000009'));
  for (let i = 0; i < AMF0_MAX_DEPTH; i++) parts.push(hex('000009'));
  expectAmf0Error(() => decodeAmf0(Buffer.concat(parts)));
  // cycles are caught by the depth limit, not a stack overflow
  const cyclic: Amf0Object = {};
  cyclic.self = cyclic;
  expectAmf0Error(() => encodeAmf0([cyclic]));
  const arr: Amf0Value[] = [];
  arr.push(arr);
  expectAmf0Error(() => encodeAmf0([arr]));
});

test('AMF0: values that cannot be encoded throw Amf0Error', () => {
  expectAmf0Error(() => encodeAmf0([(() => 1) as unknown as Amf0Value]));
  expectAmf0Error(() => encodeAmf0([10n as unknown as Amf0Value]));
  expectAmf0Error(() => encodeAmf0([{ ['k'.repeat(70000)]: 1 }]));
});

test('AMF0: a __proto__ key does not change the prototype', () => {
  const buf = hex('03 0009 5f5f70726f746f5f5f 03 0006 706f6c6c6564 0101 000009 000009');
  const [obj] = decodeAmf0(buf) as [Amf0Object];
  assert.equal(Object.getPrototypeOf(obj), Object.prototype);
  assert.deepEqual(Object.keys(obj), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polled, undefined);
  assert.equal((obj as Record<string, unknown>).polled, undefined);
});

test('AMF0: decodeAmf0Value gives value boundaries', () => {
  const buf = encodeAmf0(['@setDataFrame', 'onMetaData', { a: 1 }]);
  const first = decodeAmf0Value(buf, 0);
  assert.equal(first.value, '@setDataFrame');
  assert.equal(first.end, 16);
  assert.deepEqual(decodeAmf0(buf.subarray(first.end)), ['onMetaData', { a: 1 }]);
  expectAmf0Error(() => decodeAmf0Value(buf, buf.length));
});

test('AMF0: random garbage throws only Amf0Error', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  let ok = 0;
  for (let i = 0; i < 20000; i++) {
    const len = rnd() % 64;
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = rnd() % 4 === 0 ? rnd() % 18 : rnd() & 0xff;
    try {
      decodeAmf0(b);
      ok++;
    } catch (err) {
      assert.ok(err instanceof Amf0Error, `non-Amf0Error thrown: ${String(err)}`);
    }
  }
  // and mutations of a real command
  for (let i = 0; i < 20000; i++) {
    const b = Buffer.from(FFMPEG_CONNECT);
    const n = 1 + (rnd() % 4);
    for (let k = 0; k < n; k++) b[rnd() % b.length] = rnd() & 0xff;
    try {
      decodeAmf0(b.subarray(0, rnd() % (b.length + 1)));
      ok++;
    } catch (err) {
      assert.ok(err instanceof Amf0Error, `non-Amf0Error thrown: ${String(err)}`);
    }
  }
  assert.ok(ok > 0);
});
