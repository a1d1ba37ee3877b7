// Live rooms end to end: live/room/create, query, list, update and remove with SRS Stack's fields (and the
// Redis keys SRS_LIVE_ROOM and SRS_AUTH_SECRET room-pub-<stream>, read with redis-cli); ffmpeg publishing with
// the room's secret works, the global secret does not open the room's stream, the room's secret opens no
// other stream; removing the room ends its live publish and refuses the next; the public room API shows no secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startRedis, type TestRedis } from '../unit/control/helpers.js';
import { publish, randomName, startServer, waitFor, withTimeout, type Proc, type TestServer } from './helpers.js';

let redis: TestRedis;
let server: TestServer;
const procs: Proc[] = [];

before(async () => {
  redis = await startRedis();
  server = await startServer({ REDIS_URL: redis.url });
});

after(async () => {
  for (const p of procs) p.kill();
  await server?.close();
  await redis?.kill();
});

function redisCli(...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(redis.port), ...args]).toString().trim();
}

function pub(url: string): Proc {
  const p = publish(url);
  procs.push(p);
  return p;
}

const SRS_FIELDS = [
  'uuid', 'title', 'stream', 'secret', 'assistant', 'aiName', 'aiProvider', 'aiSecretKey', 'aiOrganization', 'aiBaseURL',
  'aiAsrEnabled', 'aiAsrLanguage', 'aiAsrPrompt', 'aiChatEnabled', 'aiChatModel', 'aiChatPrompt', 'aiChatMaxWindow',
  'aiChatMaxWords', 'aiPostEnabled', 'aiPostModel', 'aiPostPrompt', 'aiPostMaxWindow', 'aiPostMaxWords', 'aiTtsEnabled',
  'stage_uuid', 'roomToken', 'created_at',
];

type Room = Record<string, unknown> & { uuid: string; stream: string; secret: string; title: string };

const live = (stream: string) => () => server.app.hub.get({ vhost: '__defaultVhost__', app: 'live', stream, param: '' })?.active;

test('rooms: create, query, list, update, remove with SRS Stack fields, in SRS_LIVE_ROOM', async () => {
  const c = await server.api<Room>('/terraform/v1/live/room/create', { title: 'My room' });
  assert.equal(c.status, 200, c.message);
  const room = c.data;
  assert.deepEqual(Object.keys(room), [...SRS_FIELDS, 'playAuth'], 'SRS Stack fields in their order, then ours');
  assert.match(room.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(room.stream, /^[0-9a-f]{12}$/);
  assert.match(room.secret, /^[0-9A-F]{16}$/);
  assert.match(String(room.roomToken), /^[0-9a-f-]{36}$/);
  assert.match(String(room.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(room.title, 'My room');
  assert.deepEqual(
    [room.assistant, room.aiAsrEnabled, room.aiChatEnabled, room.aiPostEnabled, room.aiTtsEnabled, room.aiChatMaxWindow, room.aiName, room.playAuth],
    [true, true, true, false, true, 0, '', false],
  );
  // The Redis keys SRS Stack uses.
  assert.deepEqual(JSON.parse(redisCli('hget', 'SRS_LIVE_ROOM', room.uuid)), room);
  assert.equal(redisCli('hget', 'SRS_AUTH_SECRET', `room-pub-${room.stream}`), room.secret);

  const q = await server.api<Room>('/terraform/v1/live/room/query', { uuid: room.uuid });
  assert.deepEqual(q.data, room);
  const l = await server.api<{ rooms: (Room & { viewers: number })[] }>('/terraform/v1/live/room/list');
  const listed = l.data.rooms.find((r) => r.uuid === room.uuid);
  assert.ok(listed);
  assert.equal(listed.viewers, 0);

  // Update: the room as sent (title, stream, secret), the old stream's secret is gone.
  const oldStream = room.stream;
  const next = { ...room, title: 'Renamed', stream: randomName('room'), secret: 'ROOMSECRET123' };
  const u = await server.api<Room>('/terraform/v1/live/room/update', next);
  assert.equal(u.status, 200, u.message);
  assert.deepEqual(u.data, next);
  assert.equal(redisCli('hget', 'SRS_AUTH_SECRET', `room-pub-${next.stream}`), 'ROOMSECRET123');
  assert.equal(redisCli('hexists', 'SRS_AUTH_SECRET', `room-pub-${oldStream}`), '0');

  // Bad input: a clear 400 or 404, nothing stored.
  const bads: [string, unknown, number, RegExp][] = [
    ['create', {}, 400, /title/],
    ['create', { title: 42 }, 400, /title/],
    ['query', { uuid: '00000000-0000-4000-8000-000000000000' }, 404, /not exists/],
    ['query', { uuid: '../../etc/passwd' }, 400, /uuid/],
    ['update', { uuid: room.uuid, stream: '../x' }, 400, /stream/],
    ['update', { uuid: room.uuid, secret: 'a b' }, 400, /secret/],
    ['update', { uuid: room.uuid, playAuth: 'yes' }, 400, /playAuth/],
    ['remove', { uuid: '00000000-0000-4000-8000-000000000000' }, 404, /not exists/],
  ];
  for (const [op, body, status, msg] of bads) {
    const r = await server.api(`/terraform/v1/live/room/${op}`, body);
    assert.equal(r.status, status, `${op} ${JSON.stringify(body)}: ${r.message}`);
    assert.match(r.message ?? '', msg);
  }
  assert.deepEqual((await server.api<Room>('/terraform/v1/live/room/query', { uuid: room.uuid })).data, next);

  // Without credentials the room API is closed; the public one shows no secret.
  const anon = await fetch(`${server.http}/terraform/v1/live/room/list`, { method: 'POST' });
  assert.equal(anon.status, 401);
  const pubRes = await fetch(`${server.http}/terraform/v1/live/room/public?uuid=${room.uuid}`);
  const pubText = await pubRes.text();
  assert.equal(pubRes.status, 200, pubText);
  assert.deepEqual(JSON.parse(pubText).data, { uuid: room.uuid, title: 'Renamed', app: 'live', stream: next.stream, playAuth: false });
  assert.ok(!pubText.includes(next.secret) && !pubText.includes(String(room.roomToken)), 'no secret, no room token');

  const rm = await server.api('/terraform/v1/live/room/remove', { uuid: room.uuid });
  assert.equal(rm.status, 200);
  assert.equal(rm.data, null);
  assert.equal(redisCli('hexists', 'SRS_LIVE_ROOM', room.uuid), '0');
  assert.equal(redisCli('hexists', 'SRS_AUTH_SECRET', `room-pub-${next.stream}`), '0');
  assert.equal((await server.api('/terraform/v1/live/room/query', { uuid: room.uuid })).status, 404);
});

test("rooms: only the room's secret opens its stream; removing the room ends its publish and refuses the next", { timeout: 120_000 }, async () => {
  const a = (await server.api<Room>('/terraform/v1/live/room/create', { title: 'A' })).data;
  const b = (await server.api<Room>('/terraform/v1/live/room/create', { title: 'B' })).data;
  const rtmp = server.rtmp;

  // The global secret does not open a room's stream.
  const global = pub(`${rtmp}/live/${a.stream}?secret=${server.secret}`);
  assert.notEqual(await withTimeout(global.exited, 20000, () => global.kill()), 0, 'ffmpeg with the global secret fails');
  assert.ok(!live(a.stream)());
  // Room B's secret does not open room A, nor an ordinary stream.
  const other = pub(`${rtmp}/live/${a.stream}?secret=${b.secret}`);
  assert.notEqual(await withTimeout(other.exited, 20000, () => other.kill()), 0);
  const plain = randomName('plain');
  const elsewhere = pub(`${rtmp}/live/${plain}?secret=${a.secret}`);
  assert.notEqual(await withTimeout(elsewhere.exited, 20000, () => elsewhere.kill()), 0, "a room's secret opens no other stream");
  assert.ok(!live(plain)());

  // The room's own secret works.
  const good = pub(`${rtmp}/live/${a.stream}?secret=${a.secret}`);
  await waitFor(live(a.stream), 20000, 'the room stream to go live');
  const list = (await server.api<{ rooms: Room[] }>('/terraform/v1/live/room/list')).data.rooms;
  assert.ok(list.some((r) => r.uuid === a.uuid));

  // Removing the room kicks its publisher, and the room's secret no longer opens the stream.
  await server.api('/terraform/v1/live/room/remove', { uuid: a.uuid });
  await withTimeout(good.exited, 20000, () => good.kill());
  await waitFor(() => !live(a.stream)(), 10000, 'the room stream to end');
  const again = pub(`${rtmp}/live/${a.stream}?secret=${a.secret}`);
  assert.notEqual(await withTimeout(again.exited, 20000, () => again.kill()), 0, 'the removed room secret is refused');
  assert.ok(!live(a.stream)());
  await server.api('/terraform/v1/live/room/remove', { uuid: b.uuid });
});
