import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAmf0, encodeAmf0 } from '../../../src/codecs/amf0.js';
import { enhancedConnectAnswer, enhancedConnectRequest } from '../../../src/codecs/rtmp/enhanced.js';

test('Enhanced RTMP connect: fourCcList narrowed to what we carry; v2 info maps; legacy clients get nothing', () => {
  assert.deepEqual(enhancedConnectAnswer({ app: 'live' }), {});
  assert.deepEqual(enhancedConnectAnswer({ fourCcList: ['hvc1', 'av01', 'vvc1', 7] }), { fourCcList: ['hvc1', 'av01'] });
  assert.deepEqual(enhancedConnectAnswer({ fourCcList: ['*'] }).fourCcList, ['hvc1', 'av01', 'vp09', 'avc1', 'Opus', 'mp4a', '.mp3']);
  const v2 = enhancedConnectAnswer({ videoFourCcInfoMap: { hvc1: 1, vvc1: 1 }, audioFourCcInfoMap: { '*': 1 }, capsEx: 0x0f });
  assert.deepEqual(v2.videoFourCcInfoMap, { hvc1: 4 });
  assert.deepEqual(v2.audioFourCcInfoMap, { Opus: 4, mp4a: 4, '.mp3': 4 });
  assert.equal(v2.capsEx, 0);
  // what our client sends is what our server answers in full, and both survive AMF0
  const request = decodeAmf0(encodeAmf0([enhancedConnectRequest()]))[0] as Record<string, unknown>;
  assert.deepEqual(enhancedConnectAnswer(request as never).fourCcList, enhancedConnectRequest().fourCcList);
  // garbage in the fields: no throw
  assert.deepEqual(enhancedConnectAnswer({ fourCcList: 'hvc1', videoFourCcInfoMap: [1, 2] }), {});
});
