// Live rooms (SRS Stack's live/room/*): a room is a stream name of its own with its own publish secret
// (SRS_AUTH_SECRET room-pub-<stream>, which the publish check prefers over the global secret, so the global
// secret does not open a room and a room's secret opens nothing else), a room token for its public page and AI
// talk, and per-room settings (SRS Stack's AI assistant fields, kept for the AI issue; ours: playAuth, play
// tokens needed to watch it). Rooms are kept as SRS Stack's JSON in SRS_LIVE_ROOM[<uuid>]. Removing a room
// ends its live publish; the next one needs the global secret again, which the room's publisher does not have.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Hub } from '../../hub/hub.js';
import type { PlayAuth } from '../hooks/play-auth.js';
import type { PublishSecrets } from '../hooks/publish-secret.js';
import { Keys } from '../redis/keys.js';
import type { Store } from '../redis/store.js';

/** A live room, with SRS Stack's fields in its order, then ours. */
export interface LiveRoom {
  uuid: string;
  title: string;
  stream: string;
  secret: string;
  assistant: boolean;
  aiName: string;
  aiProvider: string;
  aiSecretKey: string;
  aiOrganization: string;
  aiBaseURL: string;
  aiAsrEnabled: boolean;
  aiAsrLanguage: string;
  aiAsrPrompt: string;
  aiChatEnabled: boolean;
  aiChatModel: string;
  aiChatPrompt: string;
  aiChatMaxWindow: number;
  aiChatMaxWords: number;
  aiPostEnabled: boolean;
  aiPostModel: string;
  aiPostPrompt: string;
  aiPostMaxWindow: number;
  aiPostMaxWords: number;
  aiTtsEnabled: boolean;
  stage_uuid: string;
  roomToken: string;
  /** RFC 3339 */
  created_at: string;
  /** ours: viewers need a play token for this room's stream */
  playAuth: boolean;
}

/** What anyone may know of a room (its public page): no secret, no token, no AI keys. */
export interface PublicRoom {
  uuid: string;
  title: string;
  app: string;
  stream: string;
  playAuth: boolean;
}

/** The app rooms are published to (SRS Stack: rtmp://host/live/<room.stream>). */
export const ROOM_APP = 'live';

export function newRoom(title: string, now = new Date()): LiveRoom {
  return {
    uuid: randomUUID(),
    title,
    stream: randomBytes(6).toString('hex'),
    secret: randomBytes(8).toString('hex').toUpperCase(),
    assistant: true,
    aiName: '',
    aiProvider: '',
    aiSecretKey: '',
    aiOrganization: '',
    aiBaseURL: '',
    aiAsrEnabled: true,
    aiAsrLanguage: '',
    aiAsrPrompt: '',
    aiChatEnabled: true,
    aiChatModel: '',
    aiChatPrompt: '',
    aiChatMaxWindow: 0,
    aiChatMaxWords: 0,
    aiPostEnabled: false,
    aiPostModel: '',
    aiPostPrompt: '',
    aiPostMaxWindow: 0,
    aiPostMaxWords: 0,
    aiTtsEnabled: true,
    stage_uuid: '',
    roomToken: randomUUID(),
    created_at: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    playAuth: false,
  };
}

/** A stored room: SRS Stack's JSON, with defaults for fields an older writer left out. */
export function parseRoom(json: string): LiveRoom | null {
  try {
    const o: unknown = JSON.parse(json);
    if (!o || typeof o !== 'object' || Array.isArray(o)) return null;
    const r = o as Partial<LiveRoom>;
    if (typeof r.uuid !== 'string' || typeof r.stream !== 'string') return null;
    return { ...newRoom(''), ...r, playAuth: r.playAuth === true } as LiveRoom;
  } catch {
    return null;
  }
}

export function publicRoom(r: LiveRoom): PublicRoom {
  return { uuid: r.uuid, title: r.title, app: ROOM_APP, stream: r.stream, playAuth: r.playAuth };
}

export class LiveRooms {
  constructor(
    private readonly store: Store,
    private readonly secrets: PublishSecrets,
    private readonly playAuth: PlayAuth,
    private readonly hub: Hub,
    private readonly logger: Logger,
  ) {}

  async create(title: string): Promise<LiveRoom> {
    const room = newRoom(title);
    await this.store.hset(Keys.LIVE_ROOM, { [room.uuid]: JSON.stringify(room) });
    await this.secrets.setRoomSecret(room.stream, room.secret);
    this.logger.info({ room: room.uuid, stream: room.stream }, 'live room created');
    return room;
  }

  async get(uuid: string): Promise<LiveRoom | null> {
    const v = await this.store.hget(Keys.LIVE_ROOM, uuid);
    return v ? parseRoom(v) : null;
  }

  async list(): Promise<LiveRoom[]> {
    const h = await this.store.hgetall(Keys.LIVE_ROOM);
    return Object.values(h)
      .map(parseRoom)
      .filter((r): r is LiveRoom => r !== null)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.uuid.localeCompare(b.uuid));
  }

  /** Stores the room as given (SRS Stack: the whole object); a changed stream name moves its secret. */
  async update(prev: LiveRoom, next: LiveRoom): Promise<LiveRoom> {
    if (next.stream !== prev.stream) {
      const other = (await this.list()).find((r) => r.uuid !== next.uuid && r.stream === next.stream);
      if (other) throw new RoomError(`stream ${next.stream} is the stream of room ${other.uuid} already; pick another stream name`);
      await this.secrets.removeRoomSecret(prev.stream);
      await this.playAuth.setRoom(prev.stream, false);
    }
    await this.store.hset(Keys.LIVE_ROOM, { [next.uuid]: JSON.stringify(next) });
    await this.secrets.setRoomSecret(next.stream, next.secret);
    await this.playAuth.setRoom(next.stream, next.playAuth);
    this.logger.info({ room: next.uuid, stream: next.stream, playAuth: next.playAuth }, 'live room updated');
    return next;
  }

  /** Deletes the room and its secrets, and ends its live publish (returns how many publishers were kicked). */
  async remove(room: LiveRoom): Promise<number> {
    await this.store.hdel(Keys.LIVE_ROOM, room.uuid);
    await this.secrets.removeRoomSecret(room.stream);
    await this.playAuth.setRoom(room.stream, false);
    let kicked = 0;
    // The room's secret opened its stream name in any app (the publish check matches the stream name, as SRS
    // Stack's does), so every such publish ends.
    for (const c of this.hub.clients.list()) {
      if (c.publish && c.url.stream === room.stream) {
        c.close(`live room ${room.uuid} was removed`);
        kicked++;
      }
    }
    this.logger.info({ room: room.uuid, stream: room.stream, kicked }, 'live room removed');
    return kicked;
  }

  /** Viewers of the room's stream now (every protocol). */
  viewers(room: LiveRoom): number {
    return this.hub.clients.list().filter((c) => !c.publish && c.url.app === ROOM_APP && c.url.stream === room.stream).length;
  }
}

/** A room request that cannot be done as asked (answered 400 with the message). */
export class RoomError extends Error {}
