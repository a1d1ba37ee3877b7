// SDP helpers on a real Chrome offer (codec choice by payload type and H.264 profile, narrowing, candidate
// rewriting, what an offer must have) and the STUN checks of the shared-port demultiplexer against binding
// requests built by werift's STUN implementation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Message, methods, classes } from 'werift';
import {
  SdpError,
  checkOfferTransport,
  chooseH264,
  chooseOpus,
  fmtpParams,
  hostCandidate,
  keepPayloadTypes,
  mediaCodecs,
  mediaDirection,
  parseSdp,
  setCandidates,
  writeSdp,
} from '../../../src/codecs/rtp/sdp.js';
import { StunClass, classifyDatagram, isStunMessage, stunClass, stunUsername, verifyStunIntegrity } from '../../../src/codecs/rtp/stun.js';

/** The audio and (trimmed) video sections of a Chromium 12x sendrecv offer. */
const CHROME_OFFER = [
  'v=0', 'o=- 2913724560681727450 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=extmap-allow-mixed',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:cUzj', 'a=ice-pwd:DZ22kKPCYyoRuFkEdx4F2mjK', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 CE:81:0E:98:07:22:BF:7A:89:48:5A:7C:09:A3:D1:32:BF:40:2F:AF:48:1F:85:20:84:0F:B0:7E:4C:B3:69:11',
  'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:111 transport-cc', 'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/111', 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000', 'a=rtpmap:110 telephone-event/48000', 'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:2792962061 cname:Y9mT3MAaDMKSnx2Z',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 116 117 45', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:cUzj', 'a=ice-pwd:DZ22kKPCYyoRuFkEdx4F2mjK',
  'a=fingerprint:sha-256 CE:81:0E:98:07:22:BF:7A:89:48:5A:7C:09:A3:D1:32:BF:40:2F:AF:48:1F:85:20:84:0F:B0:7E:4C:B3:69:11',
  'a=setup:actpass', 'a=mid:1', 'a=recvonly', 'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 nack', 'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000', 'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:107 rtx/90000', 'a=fmtp:107 apt=104',
  'a=rtpmap:108 H264/90000', 'a=rtcp-fb:108 nack', 'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:109 rtx/90000', 'a=fmtp:109 apt=108',
  'a=rtpmap:116 H264/90000', 'a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  'a=rtpmap:117 rtx/90000', 'a=fmtp:117 apt=116',
  'a=rtpmap:45 AV1/90000', 'a=candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host', 'a=rtcp-fb:* ccm fir',
].join('\r\n') + '\r\n';

test('codec choice on a Chrome offer: packetization-mode 1, constrained baseline first, or the stream profile', () => {
  const sdp = parseSdp(CHROME_OFFER);
  assert.equal(writeSdp(sdp), CHROME_OFFER, 'parse/write keeps every line');
  const [audio, video] = sdp.media;
  assert.equal(mediaDirection(sdp, audio!), 'sendrecv');
  assert.equal(mediaDirection(sdp, video!), 'recvonly');
  assert.equal(chooseOpus(audio!)?.payloadType, 111);
  assert.equal(mediaCodecs(video!).length, 11);
  assert.equal(chooseH264(video!)?.payloadType, 108, 'constrained baseline 42e01f');
  assert.equal(chooseH264(video!, 0x4d)?.payloadType, 116, 'main, as the stream');
  assert.equal(chooseH264(video!, 0x64)?.payloadType, 108, 'no high: fall back to constrained baseline');
  assert.equal(fmtpParams('a=1; B = x').get('b'), 'x');
  keepPayloadTypes(video!, [108]);
  assert.deepEqual(video!.formats, ['108']);
  assert.ok(!video!.lines.some((l) => /^a=(rtpmap|fmtp|rtcp-fb):(96|97|102|103|104|107|109|116|117|45)\s/.test(l)));
  assert.ok(video!.lines.includes('a=rtcp-fb:* ccm fir'));
  assert.ok(video!.lines.includes('a=rtcp-fb:108 nack'));
  setCandidates(sdp, [hostCandidate('a1', '12.34.56.78', 8000)]);
  const out = writeSdp(sdp);
  assert.equal(out.match(/a=candidate:a1 1 udp 2130706431 12\.34\.56\.78 8000 typ host generation 0/g)?.length, 2);
  assert.ok(!out.includes('192.0.2.2'));
  assert.equal(checkOfferTransport(parseSdp(CHROME_OFFER)), null);
});

test('what an offer must have, and SDP syntax errors', () => {
  assert.throws(() => parseSdp(''), SdpError);
  assert.throws(() => parseSdp('hello'), /must start with the line "v=0"/);
  assert.throws(() => parseSdp('v=0\r\nm=video x\r\n'), /line 2 is not a valid media line/);
  assert.throws(() => parseSdp('v=0\r\nnot sdp\r\n'), /line 2 is not "<letter>=<value>"/);
  assert.match(checkOfferTransport(parseSdp('v=0\r\ns=-\r\n'))!, /no audio or video section/);
  assert.match(checkOfferTransport(parseSdp(CHROME_OFFER.replace(/a=ice-pwd:.*\r\n/g, '')))!, /no a=ice-ufrag \/ a=ice-pwd/);
  assert.match(checkOfferTransport(parseSdp(CHROME_OFFER.replace(/a=fingerprint:.*\r\n/g, '')))!, /no a=fingerprint/);
  assert.match(checkOfferTransport(parseSdp(CHROME_OFFER.replace(/UDP\/TLS\/RTP\/SAVPF/g, 'RTP/AVP')))!, /needs UDP\/TLS\/RTP\/SAVPF/);
});

function binding(username: string, password: string): Buffer {
  const m = new Message(methods.BINDING, classes.REQUEST);
  m.setAttribute('USERNAME', username).setAttribute('PRIORITY', 1845501695);
  m.addMessageIntegrity(Buffer.from(password));
  m.addFingerprint();
  return m.bytes;
}

test('STUN: classify, USERNAME, MESSAGE-INTEGRITY against werift-built binding requests', () => {
  const req = binding('srv1:cli1', 'the-ice-password-0123');
  assert.equal(classifyDatagram(req), 'stun');
  assert.ok(isStunMessage(req));
  assert.equal(stunClass(req), StunClass.Request);
  assert.equal(stunUsername(req), 'srv1:cli1');
  assert.ok(verifyStunIntegrity(req, 'the-ice-password-0123'));
  assert.ok(!verifyStunIntegrity(req, 'another-password'));
  const tampered = Buffer.from(req);
  tampered[tampered.length - 30] ^= 1;
  assert.ok(!verifyStunIntegrity(tampered, 'the-ice-password-0123'));
  assert.equal(classifyDatagram(Buffer.from([22, 254, 253, 0])), 'dtls');
  assert.equal(classifyDatagram(Buffer.from([0x80, 96, 0, 0])), 'rtp');
  assert.equal(classifyDatagram(Buffer.from([0, 1, 0, 0])), 'unknown', 'too short for STUN');
  assert.equal(classifyDatagram(Buffer.from([200])), 'unknown');
  assert.equal(stunUsername(binding('', 'x').subarray(0, 20)), null);
});
