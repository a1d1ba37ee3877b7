// Request bodies of the live-room routes (SRS Stack's live/room/*): every field of an update is checked here,
// so a stored room always has a usable stream name and secret.
import { isValidName } from '../../../../hub/stream-url.js';
import { badRequest } from '../../../errors.js';
import type { LiveRoom } from '../../../rooms/rooms.js';
import { object, optional, str, type Field } from '../../schema.js';

export const uuidField = str({ min: 1, max: 64, pattern: /^[0-9a-fA-F-]{1,64}$/, patternHint: 'a room uuid, as live/room/create or list gave it' });

export const roomCreateBody = object({ title: str({ min: 1, max: 256 }) });
export const roomUuidBody = object({ uuid: uuidField });
/** The public room page: the uuid from the body or from ?uuid= */
export const roomPublicBody = object({ uuid: optional(uuidField) });

const STRING_FIELDS = ['title', 'aiName', 'aiProvider', 'aiSecretKey', 'aiOrganization', 'aiBaseURL', 'aiAsrLanguage', 'aiAsrPrompt', 'aiChatModel', 'aiChatPrompt', 'aiPostModel', 'aiPostPrompt', 'stage_uuid', 'roomToken'] as const;
const BOOL_FIELDS = ['assistant', 'aiAsrEnabled', 'aiChatEnabled', 'aiPostEnabled', 'aiTtsEnabled', 'playAuth'] as const;
const NUMBER_FIELDS = ['aiChatMaxWindow', 'aiChatMaxWords', 'aiPostMaxWindow', 'aiPostMaxWords'] as const;

/** A room update: the room as sent (SRS Stack sends the whole object); fields left out keep their value. */
export type RoomUpdate = { uuid: string } & Partial<Omit<LiveRoom, 'uuid' | 'created_at'>>;

export const roomUpdateBody: Field<RoomUpdate> = {
  expects: 'a live room object (as live/room/query returns it) with its uuid',
  json: {
    type: 'object',
    required: ['uuid'],
    properties: {
      uuid: { type: 'string' },
      title: { type: 'string' },
      stream: { type: 'string', description: 'letters, digits, - _ . ~' },
      secret: { type: 'string', description: 'letters, digits, - _ . ~' },
      playAuth: { type: 'boolean', description: 'viewers need a play token (ours)' },
    },
    description: 'the whole room object; other fields of SRS Stack (AI assistant) are kept as sent',
  },
  parse(v, name) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`the ${name} must be a live room object with its uuid; fix the JSON body`);
    const o = v as Record<string, unknown>;
    const out: RoomUpdate = { uuid: uuidField.parse(o.uuid, 'uuid') };
    const set = out as Record<string, unknown>;
    for (const k of STRING_FIELDS) {
      if (o[k] === undefined) continue;
      if (typeof o[k] !== 'string' || (o[k] as string).length > 4096) throw badRequest(`field "${k}" must be a string of at most 4096 characters; fix the JSON body`);
      set[k] = o[k];
    }
    for (const k of BOOL_FIELDS) {
      if (o[k] === undefined) continue;
      if (typeof o[k] !== 'boolean') throw badRequest(`field "${k}" must be true or false; fix the JSON body`);
      set[k] = o[k];
    }
    for (const k of NUMBER_FIELDS) {
      if (o[k] === undefined) continue;
      if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw badRequest(`field "${k}" must be a number; fix the JSON body`);
      set[k] = o[k];
    }
    if (o.title !== undefined && !String(o.title).trim()) throw badRequest('field "title" must not be empty: give the room a title');
    if (o.stream !== undefined) {
      if (typeof o.stream !== 'string' || !isValidName(o.stream) || o.stream.includes('/')) {
        throw badRequest('field "stream" must be a stream name of letters, digits, - _ . ~ (no /); fix the JSON body');
      }
      out.stream = o.stream;
    }
    if (o.secret !== undefined) {
      if (typeof o.secret !== 'string' || !/^[A-Za-z0-9_.~-]{8,256}$/.test(o.secret)) {
        throw badRequest('field "secret" must be 8 to 256 letters, digits, - _ . ~ (it goes in the publish URL); fix the JSON body');
      }
      out.secret = o.secret;
    }
    return out;
  },
};
