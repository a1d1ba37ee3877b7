// AAC: AudioSpecificConfig parse/build with escapes, ADTS header write/parse against ffmpeg's, ADTS runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../../../src/codecs/codec-error.js';
import {
  aacAudioInfo,
  aacProfileObjectType,
  aacProfileName,
  audioSpecificConfigFromAdts,
  buildAudioSpecificConfig,
  parseAdtsFrames,
  parseAdtsHeader,
  parseAudioSpecificConfig,
  writeAdtsHeader,
} from '../../../src/codecs/aac.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

test('parseAudioSpecificConfig: LC, with trailing sync extension, HE-AAC explicit', () => {
  assert.deepEqual(parseAudioSpecificConfig(hex('1210')), {
    objectType: 2,
    coreObjectType: 2,
    sampleRateIndex: 4,
    sampleRate: 44100,
    channelConfig: 2,
    channels: 2,
  });
  // what ffmpeg's aac encoder writes for 44.1 kHz mono (backward-compatible SBR sync extension after it)
  const mono = parseAudioSpecificConfig(hex('120856e500'));
  assert.equal(mono.sampleRate, 44100);
  assert.equal(mono.channels, 1);
  const he = parseAudioSpecificConfig(hex('2b920800'));
  assert.equal(he.objectType, 5);
  assert.equal(he.coreObjectType, 2);
  assert.equal(he.sampleRate, 22050);
  assert.equal(he.extensionSampleRate, 44100);
  assert.equal(he.channels, 2);
  assert.equal(aacAudioInfo(hex('2b920800')).sampleRate, 44100);
  assert.equal(aacAudioInfo(hex('2b920800')).profile, 'HE');
});

test('AudioSpecificConfig round trip, with escape object type and explicit frequency', () => {
  assert.deepEqual(buildAudioSpecificConfig(2, 44100, 2), hex('1210'));
  assert.deepEqual(buildAudioSpecificConfig(2, 44100, 1), hex('1208'));
  for (const objectType of [1, 2, 4, 5, 29, 23, 39, 42]) {
    for (const sampleRate of [8000, 22050, 44100, 48000, 96000, 12345, 44000]) {
      for (const channels of [1, 2, 6, 8]) {
        const asc = buildAudioSpecificConfig(objectType, sampleRate, channels);
        const cfg = parseAudioSpecificConfig(asc);
        const label = `${objectType}/${sampleRate}/${channels}`;
        assert.equal(cfg.objectType, objectType, label);
        assert.equal(cfg.sampleRate, sampleRate, label);
        assert.equal(cfg.channels, channels, label);
        assert.equal(cfg.sampleRateIndex === 15, ![8000, 22050, 44100, 48000, 96000].includes(sampleRate), label);
      }
    }
  }
  const usac = buildAudioSpecificConfig(42, 48000, 2);
  assert.equal(usac[0] >> 3, 31, 'object type 42 uses the escape value 31');
  assert.throws(() => buildAudioSpecificConfig(2, 44100, 7), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_UNSUPPORTED');
});

test('parseAudioSpecificConfig rejects truncation and reserved values', () => {
  assert.throws(() => parseAudioSpecificConfig(Buffer.alloc(0)), CodecError);
  assert.throws(() => parseAudioSpecificConfig(hex('12')), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_INVALID');
  assert.throws(() => parseAudioSpecificConfig(hex('f8')), CodecError, 'escape object type cut');
  assert.throws(() => parseAudioSpecificConfig(hex('1790')), CodecError, 'explicit frequency cut');
  assert.throws(() => parseAudioSpecificConfig(hex('1690')), /reserved/);
});

test('writeAdtsHeader matches the header ffmpeg writes and parses back', () => {
  // first header of `ffmpeg -f lavfi -i sine=sample_rate=48000 -ac 2 -c:a aac -f adts`: 288-byte frame
  const target = Buffer.alloc(9, 0xaa);
  writeAdtsHeader({ objectType: 2, sampleRateIndex: 3, channelConfig: 2 }, 288, target, 1);
  assert.deepEqual(target.subarray(1, 8), hex('fff14c8024fffc'));
  assert.equal(target[0], 0xaa);
  assert.equal(target[8], 0xaa);
  const h = parseAdtsHeader(target, 1);
  assert.ok(h);
  assert.equal(h.frameLength, 295);
  assert.equal(h.sampleRate, 48000);
  assert.equal(h.channels, 2);
  assert.equal(h.objectType, 2);
  assert.deepEqual(audioSpecificConfigFromAdts(h), hex('1190'));
  // HE-AAC goes out as LC (implicit SBR); explicit frequencies and huge frames cannot
  writeAdtsHeader({ objectType: 5, sampleRateIndex: 7, channelConfig: 2 }, 100, target, 0);
  assert.equal(parseAdtsHeader(target)?.objectType, 2);
  assert.throws(() => writeAdtsHeader({ objectType: 2, sampleRateIndex: 15, channelConfig: 2 }, 10, target, 0), CodecError);
  assert.throws(() => writeAdtsHeader({ objectType: 2, sampleRateIndex: 3, channelConfig: 2 }, 8190, target, 0), CodecError);
  assert.throws(() => writeAdtsHeader({ objectType: 42, sampleRateIndex: 3, channelConfig: 2 }, 10, target, 0), CodecError);
});

function adts(payload: Buffer, sampleRateIndex = 4, channelConfig = 1): Buffer {
  const out = Buffer.alloc(7 + payload.length);
  writeAdtsHeader({ objectType: 2, sampleRateIndex, channelConfig }, payload.length, out, 0);
  payload.copy(out, 7);
  return out;
}

test('parseAdtsFrames splits several frames, skips garbage and returns an incomplete tail', () => {
  const a = Buffer.alloc(100, 1);
  const b = Buffer.alloc(200, 2);
  const c = Buffer.alloc(50, 3);
  const whole = Buffer.concat([adts(a), adts(b), hex('0102ff03'), adts(c)]);
  const r = parseAdtsFrames(Buffer.concat([whole, adts(b).subarray(0, 30)]));
  assert.deepEqual(r.frames, [a, b, c]);
  assert.equal(r.skippedBytes, 4);
  assert.equal(r.rest?.length, 30);
  assert.equal(r.config?.sampleRate, 44100);
  assert.equal(r.config?.channels, 1);
  const none = parseAdtsFrames(hex('00112233445566778899'));
  assert.equal(none.config, null);
  assert.equal(none.frames.length, 0);
  assert.equal(none.skippedBytes, 10);
  // a header shorter than 7 bytes at the end is kept as rest
  assert.equal(parseAdtsFrames(Buffer.concat([adts(a), hex('fff1')])).rest?.length, 2);
  // CRC-protected frames: 9-byte header (protection_absent 0, 2 CRC bytes)
  const withCrc = Buffer.alloc(9 + a.length);
  writeAdtsHeader({ objectType: 2, sampleRateIndex: 4, channelConfig: 1 }, a.length + 2, withCrc, 0);
  withCrc[1] = 0xf0;
  withCrc.writeUInt16BE(0xabcd, 7);
  a.copy(withCrc, 9);
  assert.deepEqual(parseAdtsFrames(withCrc).frames, [a]);
});

test('profile names', () => {
  assert.equal(aacProfileName(2), 'LC');
  assert.equal(aacProfileName(5), 'HE');
  assert.equal(aacProfileName(29), 'HEv2');
  assert.equal(aacProfileName(1), 'Main');
  assert.equal(aacProfileName(0), 'Unknown');
});

test('AudioSpecificConfig: HE-AAC v1 / v2 signalled explicitly and backward-compatibly, PCE channels, 960 frames', async () => {
  const { AAC } = await import('./codec-fixtures.js');
  for (const [name, f] of Object.entries(AAC)) {
    const cfg = parseAudioSpecificConfig(f.asc);
    assert.equal(cfg.sampleRate, f.coreRate, `${name}: core rate`);
    assert.deepEqual(aacAudioInfo(f.asc), f.info, name);
  }
  const he = parseAudioSpecificConfig(AAC.heBackwardCompatible!.asc);
  assert.deepEqual([he.objectType, he.coreObjectType, he.extensionSampleRate, he.ps], [2, 2, 48000, undefined]);
  const v2 = parseAudioSpecificConfig(AAC.hev2BackwardCompatible!.asc);
  assert.deepEqual([v2.channels, v2.extensionSampleRate, v2.ps], [1, 48000, true]);
  const v2x = parseAudioSpecificConfig(AAC.hev2Explicit!.asc);
  assert.deepEqual([v2x.objectType, v2x.coreObjectType, v2x.ps], [29, 2, true]);
  assert.equal(aacProfileObjectType(v2x), 29);
  assert.equal(aacProfileObjectType(he), 5);
  assert.equal(aacProfileObjectType(parseAudioSpecificConfig(AAC.lcSbrAbsent!.asc)), 2);
  assert.equal(parseAudioSpecificConfig(AAC.lc960!.asc).samplesPerFrame, 960);
  assert.equal(parseAudioSpecificConfig(AAC.lc!.asc).samplesPerFrame, undefined, '1024 is the default');
  assert.equal(parseAudioSpecificConfig(AAC.pce51!.asc).channelConfig, 0);
  // what follows the channel configuration is optional: cut anywhere after it, the core fields stay
  for (const f of [AAC.heBackwardCompatible!, AAC.hev2BackwardCompatible!, AAC.pce51!]) {
    for (let n = 2; n < f.asc.length; n++) {
      const cut = parseAudioSpecificConfig(f.asc.subarray(0, n));
      assert.equal(cut.sampleRate, f.coreRate);
      // the SBR part of the sync extension ends in the fifth byte (16 + 11 + 5 + 1 + 4 bits)
      if (n < 5) assert.equal(cut.extensionSampleRate, undefined, 'no SBR from a cut extension');
      assert.equal(cut.ps, undefined, 'no PS from a cut extension');
    }
  }
  // AAC LD: 512 samples, 480 with frameLengthFlag
  assert.equal(parseAudioSpecificConfig(buildAudioSpecificConfig(23, 48000, 2)).samplesPerFrame, 512);
});
