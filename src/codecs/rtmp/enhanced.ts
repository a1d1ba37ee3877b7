// Enhanced RTMP connect negotiation (veovera v1 "fourCcList", v2 "videoFourCcInfoMap" / "audioFourCcInfoMap"
// / "capsEx"): a client lists the FourCCs it can send or play in its connect command object, and the server
// answers with those it supports in the _result's properties.
import type { Amf0Object, Amf0Value } from '../amf0.js';
import { ENHANCED_RTMP_FOURCCS } from '../flv.js';

/** v2 FourCcInfoMask: the server forwards (does not decode or encode) what it carries. */
const CAN_FORWARD = 0x04;
const VIDEO_FOURCCS: readonly string[] = ['hvc1', 'av01', 'vp09', 'avc1'];

function strings(v: Amf0Value): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function isObject(v: Amf0Value): v is Amf0Object {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** What a client puts into its connect command object to announce Enhanced RTMP. */
export function enhancedConnectRequest(): Amf0Object {
  return { fourCcList: [...ENHANCED_RTMP_FOURCCS] };
}

/**
 * The Enhanced RTMP properties for the server's connect _result, given the client's command object: {} for
 * a legacy client (nothing announced), else `fourCcList` (the client's list, or '*', narrowed to what we
 * carry) and, when the client sent v2 info maps, the maps with CanForward for each FourCC we carry.
 */
export function enhancedConnectAnswer(cmd: Amf0Object): Amf0Object {
  const asked = strings(cmd.fourCcList);
  const vMap = isObject(cmd.videoFourCcInfoMap) ? cmd.videoFourCcInfoMap : null;
  const aMap = isObject(cmd.audioFourCcInfoMap) ? cmd.audioFourCcInfoMap : null;
  if (asked.length === 0 && !vMap && !aMap) return {};
  const ours: readonly string[] = ENHANCED_RTMP_FOURCCS;
  const out: Amf0Object = {
    fourCcList: asked.includes('*') || asked.length === 0 ? [...ours] : ours.filter((f) => asked.includes(f)),
  };
  const map = (asking: Amf0Object, video: boolean): Amf0Object => {
    const m: Amf0Object = {};
    for (const f of ours) {
      if (VIDEO_FOURCCS.includes(f) !== video) continue;
      if ('*' in asking || f in asking) m[f] = CAN_FORWARD;
    }
    return m;
  };
  if (vMap) out.videoFourCcInfoMap = map(vMap, true);
  if (aMap) out.audioFourCcInfoMap = map(aMap, false);
  if (vMap || aMap) out.capsEx = 0; // no reconnect request, multitrack (beyond track 0), ModEx or nanosecond offsets
  return out;
}
