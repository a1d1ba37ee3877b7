// Live rooms (SRS Stack's /terraform/v1/live/room/*): create, query, update, list, remove, with SRS Stack's
// JSON; and ours, live/room/public: what the public room page may show (no secret, no token).
import type { ApiDeps } from '../../deps.js';
import type { ApiRoutes } from '../../router.js';
import { badRequest, notFound } from '../../../errors.js';
import { RoomError, publicRoom, type LiveRoom } from '../../../rooms/rooms.js';
import { empty } from '../../schema.js';
import { roomCreateBody, roomPublicBody, roomUpdateBody, roomUuidBody } from './schema.js';

const BASE = '/terraform/v1/live/room';

export function registerRooms(r: ApiRoutes, d: ApiDeps): void {
  const find = async (uuid: string): Promise<LiveRoom> => {
    const room = await d.rooms.get(uuid);
    if (!room) throw notFound(`live room ${uuid} not exists; list the rooms with POST ${BASE}/list`);
    return room;
  };

  r.add({
    path: `${BASE}/create`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: roomCreateBody,
    summary: 'create a live room: its own stream name and publish secret',
    handler: ({ body }) => d.rooms.create(body.title.trim()),
  });

  r.add({
    path: `${BASE}/query`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: roomUuidBody,
    handler: ({ body }) => find(body.uuid),
  });

  r.add({
    path: `${BASE}/update`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: roomUpdateBody,
    summary: 'change a live room (send the room object as query returned it)',
    async handler({ body }) {
      const prev = await find(body.uuid);
      const next: LiveRoom = { ...prev, ...body, uuid: prev.uuid, created_at: prev.created_at };
      try {
        return await d.rooms.update(prev, next);
      } catch (e) {
        if (e instanceof RoomError) throw badRequest(e.message);
        throw e;
      }
    },
  });

  r.add({
    path: `${BASE}/list`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: empty,
    async handler() {
      const rooms = await d.rooms.list();
      // SRS Stack answers null for no rooms; viewers is ours.
      return { rooms: rooms.length ? rooms.map((room) => ({ ...room, viewers: d.rooms.viewers(room) })) : null };
    },
  });

  r.add({
    path: `${BASE}/remove`,
    methods: ['GET', 'POST'],
    auth: true,
    schema: roomUuidBody,
    summary: 'remove a live room: its live publish ends and its secret stops working',
    async handler({ body }) {
      await d.rooms.remove(await find(body.uuid));
      return null;
    },
  });

  r.add({
    path: `${BASE}/public`,
    methods: ['GET', 'POST'],
    auth: false,
    schema: roomPublicBody,
    summary: "what the public room page shows: the room's title and stream, no secret (ours)",
    async handler({ body, query }) {
      const uuid = body.uuid ?? query.get('uuid') ?? '';
      if (!uuid || !/^[0-9a-fA-F-]{1,64}$/.test(uuid)) throw badRequest('give the room uuid: ?uuid=<uuid> or {"uuid":"..."}');
      return publicRoom(await find(uuid));
    },
  });
}
