// RTMP messages, Adobe RTMP spec sections 5.4 (protocol control messages), 6.2 / 7.1.7 (user control
// messages), 7.1.1-7.1.2 (command and data messages, AMF0 or AMF3-wrapped) and 7.1.6 (aggregate messages).

import { Amf0Error, decodeAmf0, encodeAmf0, type Amf0Value } from '../amf0.js';
import { ChunkEncoder, RtmpProtocolError, checkChunkSize, type RtmpMessage } from './chunk.js';

export enum MessageType {
  SetChunkSize = 1,
  Abort = 2,
  Acknowledgement = 3,
  UserControl = 4,
  WindowAckSize = 5,
  SetPeerBandwidth = 6,
  Audio = 8,
  Video = 9,
  DataAmf3 = 15,
  CommandAmf3 = 17,
  DataAmf0 = 18,
  CommandAmf0 = 20,
  Aggregate = 22,
}

export enum UserControlEvent {
  StreamBegin = 0,
  StreamEOF = 1,
  StreamDry = 2,
  SetBufferLength = 3,
  StreamIsRecorded = 4,
  PingRequest = 6,
  PingResponse = 7,
}

/** Limit type of Set Peer Bandwidth (5.4.5). */
export enum PeerBandwidthLimit {
  Hard = 0,
  Soft = 1,
  Dynamic = 2,
}

/** Protocol control and user control messages travel on chunk stream 2, message stream 0 (5.4). */
export const CONTROL_CSID = 2;

// Control payloads are at most 10 bytes, so they are a single chunk under any chunk size we announce.
const controlEncoder = new ChunkEncoder();

function control(type: MessageType, payload: Buffer): Buffer {
  return controlEncoder.encode(CONTROL_CSID, type, 0, 0, payload);
}

function u32Payload(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** Set Chunk Size (5.4.1). Set the ChunkEncoder's chunkSize to the same value after queuing this. */
export function setChunkSize(n: number): Buffer {
  checkChunkSize(n, 'outgoing');
  return control(MessageType.SetChunkSize, u32Payload(n));
}

/** Abort Message (5.4.2) for chunk stream `csid`. */
export function abortMessage(csid: number): Buffer {
  return control(MessageType.Abort, u32Payload(csid));
}

/** Acknowledgement (5.4.3): `seq` = bytes received so far, wrapped at 2^32. */
export function acknowledgement(seq: number): Buffer {
  return control(MessageType.Acknowledgement, u32Payload(seq % 0x100000000));
}

/** Window Acknowledgement Size (5.4.4). */
export function windowAckSize(n: number): Buffer {
  return control(MessageType.WindowAckSize, u32Payload(n));
}

/** Set Peer Bandwidth (5.4.5). */
export function setPeerBandwidth(n: number, limitType: PeerBandwidthLimit): Buffer {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(n >>> 0, 0);
  b[4] = limitType;
  return control(MessageType.SetPeerBandwidth, b);
}

/**
 * User Control message (7.1.7): event type + 4-byte value (a stream id, or the timestamp for pings) and,
 * for SetBufferLength, `extra` = the buffer length in ms.
 */
export function userControl(event: UserControlEvent, value: number, extra?: number): Buffer {
  const b = Buffer.allocUnsafe(extra === undefined ? 6 : 10);
  b.writeUInt16BE(event, 0);
  b.writeUInt32BE(value >>> 0, 2);
  if (extra !== undefined) b.writeUInt32BE(extra >>> 0, 6);
  return control(MessageType.UserControl, b);
}

export interface UserControlMessage {
  event: UserControlEvent;
  value: number;
  /** SetBufferLength: buffer length in ms */
  extra?: number;
}

export function parseUserControl(payload: Buffer): UserControlMessage {
  if (payload.length < 6) throw new RtmpProtocolError(`User Control message of ${payload.length} bytes, need at least 6`);
  const event = payload.readUInt16BE(0) as UserControlEvent;
  const value = payload.readUInt32BE(2);
  if (event === UserControlEvent.SetBufferLength) {
    if (payload.length < 10) throw new RtmpProtocolError(`SetBufferLength event of ${payload.length} bytes, need 10`);
    return { event, value, extra: payload.readUInt32BE(6) };
  }
  return { event, value };
}

/**
 * The 4-byte value of Set Chunk Size, Abort, Acknowledgement or Window Acknowledgement Size.
 * (The chunk decoder has already applied Set Chunk Size and Abort by the time they are delivered.)
 */
export function parseControlValue(msg: RtmpMessage): number {
  if (msg.payload.length < 4) {
    throw new RtmpProtocolError(`${MessageType[msg.type] ?? `type ${msg.type}`} message of ${msg.payload.length} bytes, need 4`);
  }
  return msg.payload.readUInt32BE(0);
}

export function parseSetPeerBandwidth(payload: Buffer): { size: number; limitType: PeerBandwidthLimit } {
  if (payload.length < 5) throw new RtmpProtocolError(`Set Peer Bandwidth message of ${payload.length} bytes, need 5`);
  return { size: payload.readUInt32BE(0), limitType: payload[4] as PeerBandwidthLimit };
}

/** An AMF0 command message (type 20), e.g. `['_result', 1, {..}, {..}]` or `['onStatus', 0, null, {..}]`. */
export function encodeCommand(encoder: ChunkEncoder, csid: number, streamId: number, values: Amf0Value[]): Buffer {
  return encoder.encode(csid, MessageType.CommandAmf0, streamId, 0, encodeAmf0(values));
}

/** An AMF0 data message (type 18), e.g. `['|RtmpSampleAccess', false, false]` or onMetaData. */
export function encodeData(
  encoder: ChunkEncoder,
  csid: number,
  streamId: number,
  timestamp: number,
  values: Amf0Value[],
): Buffer {
  return encoder.encode(csid, MessageType.DataAmf0, streamId, timestamp, encodeAmf0(values));
}

export interface RtmpCommand {
  name: string;
  transactionId: number;
  commandObject: Amf0Value;
  args: Amf0Value[];
}

/** AMF0 values of a command/data message; AMF3 messages (17/15) wrap AMF0 after a 0 format byte. */
function amfValues(msg: RtmpMessage, what: string): Amf0Value[] {
  let body = msg.payload;
  if (msg.type === MessageType.CommandAmf3 || msg.type === MessageType.DataAmf3) {
    if (body.length > 0 && body[0] === 0) body = body.subarray(1);
    else throw new RtmpProtocolError(`${what} in AMF3 encoding is not supported (only AMF0 in an AMF3 message)`);
  }
  try {
    return decodeAmf0(body);
  } catch (err) {
    if (err instanceof Amf0Error) throw new RtmpProtocolError(`invalid ${what}: ${err.message}`);
    throw err;
  }
}

/** Decodes a command message (type 20, or 17 carrying AMF0): name, transaction id, command object, args. */
export function decodeCommand(msg: RtmpMessage): RtmpCommand {
  if (msg.type !== MessageType.CommandAmf0 && msg.type !== MessageType.CommandAmf3) {
    throw new RtmpProtocolError(`message type ${msg.type} is not a command message`);
  }
  const values = amfValues(msg, 'command message');
  const name = values[0];
  if (typeof name !== 'string') throw new RtmpProtocolError('command message does not start with a command name string');
  const tid = values[1];
  return {
    name,
    transactionId: typeof tid === 'number' ? tid : 0,
    commandObject: values.length > 2 ? values[2] : null,
    args: values.slice(3),
  };
}

/** Decodes a data message (type 18, or 15 carrying AMF0) into its values, e.g. `['@setDataFrame', 'onMetaData', {..}]`. */
export function decodeData(msg: RtmpMessage): Amf0Value[] {
  return amfValues(msg, 'data message');
}

/** Sub-message header inside an aggregate: type, size (24), timestamp (24 + 8 extended), stream id (24). */
const AGGREGATE_HEADER = 11;
const BACK_POINTER = 4;

/**
 * Splits an Aggregate message (7.1.6) into its sub-messages, with payloads as subarrays. Timestamps are
 * rebased so the first sub-message has the aggregate's timestamp; all take the aggregate's stream id.
 */
export function splitAggregate(msg: RtmpMessage): RtmpMessage[] {
  const b = msg.payload;
  const out: RtmpMessage[] = [];
  let pos = 0;
  let base = -1;
  while (pos < b.length) {
    if (pos + AGGREGATE_HEADER > b.length) {
      throw new RtmpProtocolError(`aggregate message truncated: sub-message header at offset ${pos} is incomplete`);
    }
    const type = b[pos];
    const size = (b[pos + 1] << 16) | (b[pos + 2] << 8) | b[pos + 3];
    const ts = ((b[pos + 7] << 24) | (b[pos + 4] << 16) | (b[pos + 5] << 8) | b[pos + 6]) >>> 0;
    const start = pos + AGGREGATE_HEADER;
    if (start + size > b.length) {
      throw new RtmpProtocolError(`aggregate message truncated: sub-message of ${size} bytes at offset ${pos} overruns it`);
    }
    if (base < 0) base = ts;
    out.push({
      csid: msg.csid,
      type,
      streamId: msg.streamId,
      timestamp: (msg.timestamp + ts - base) >>> 0,
      payload: b.subarray(start, start + size),
    });
    // The back pointer is optional at the very end in some senders; tolerate its absence there only.
    pos = start + size + BACK_POINTER;
    if (pos > b.length && start + size !== b.length) {
      throw new RtmpProtocolError('aggregate message truncated inside a back pointer');
    }
  }
  return out;
}
