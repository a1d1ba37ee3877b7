// Live rooms: the list (title, stream, viewers, created), creating a room, and the play-authentication
// settings (tokens for every stream or some apps, revoking every token) with a form that mints play tokens.
import { Alert, Anchor, Badge, Button, Card, Group, NumberInput, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../api/client';
import type { LiveRoom, PlayAuthSettings, PlayToken } from '../api/types';
import { CopyField } from '../components/copy-field';

export function PlayAuthCard() {
  const { t } = useTranslation();
  const [s, setS] = useState<PlayAuthSettings | null>(null);
  const [apps, setApps] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [streams, setStreams] = useState('/live/*');
  const [hours, setHours] = useState<number | string>(24);
  const [ip, setIp] = useState('');
  const [token, setToken] = useState<PlayToken | null>(null);
  const load = useCallback(() => {
    api.playAuth().then((x) => { setS(x); setApps(x.apps.join(', ')); }, (e: Error) => setMsg({ ok: false, text: e.message }));
  }, []);
  useEffect(load, [load]);
  const apply = async (b: { all?: boolean; apps?: string[]; rotateKey?: boolean }) => {
    try {
      await api.applyPlayAuth(b);
      setMsg({ ok: true, text: t('common.saved') });
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  const mint = async () => {
    try {
      setToken(await api.playToken({ streams: streams.trim(), expires: Math.max(1, Math.round(Number(hours) * 3600)), ...(ip.trim() ? { ip: ip.trim() } : {}) }));
      setMsg(null);
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  return (
    <Card withBorder>
      <Stack>
        <Title order={5}>{t('playAuth.title')}</Title>
        <Text size="sm" c="dimmed">{t('playAuth.intro')}</Text>
        <Switch label={t('playAuth.all')} checked={s?.all ?? false} onChange={(e) => void apply({ all: e.currentTarget.checked })} data-testid="play-all" />
        <Group align="flex-end">
          <TextInput label={t('playAuth.apps')} description={t('playAuth.appsHint')} value={apps} onChange={(e) => setApps(e.currentTarget.value)} data-testid="play-apps" />
          <Button variant="light" onClick={() => void apply({ apps: apps.split(',').map((a) => a.trim()).filter(Boolean) })} data-testid="play-apps-save">{t('common.save')}</Button>
        </Group>
        {s && s.rooms.length > 0 && <Text size="sm">{t('playAuth.rooms', { rooms: s.rooms.join(', ') })}</Text>}
        <Group>
          <Button color="red" variant="subtle" size="xs" data-testid="play-rotate"
            onClick={() => { if (window.confirm(t('playAuth.confirmRotate'))) void apply({ rotateKey: true }); }}>{t('playAuth.rotate')}</Button>
        </Group>
        <Title order={6}>{t('playAuth.mint')}</Title>
        <Group align="flex-end" wrap="wrap">
          <TextInput label={t('playAuth.streams')} description={t('playAuth.streamsHint')} value={streams} onChange={(e) => setStreams(e.currentTarget.value)} data-testid="mint-streams" />
          <NumberInput label={t('playAuth.hours')} value={hours} onChange={setHours} min={0.01} w={140} data-testid="mint-hours" />
          <TextInput label={t('playAuth.ip')} value={ip} onChange={(e) => setIp(e.currentTarget.value)} w={180} data-testid="mint-ip" />
          <Button onClick={() => void mint()} data-testid="mint">{t('playAuth.mint')}</Button>
        </Group>
        {token && <>
          <CopyField label={t('playAuth.token')} value={token.token} testId="minted-token" />
          <Text size="xs" c="dimmed">{token.streams} · {t('playAuth.expires', { at: new Date(token.expireAt).toLocaleString() })}</Text>
        </>}
        {msg && <Alert color={msg.ok ? 'green' : 'red'} data-testid="play-msg">{msg.text}</Alert>}
      </Stack>
    </Card>
  );
}

export function LiveRoomsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [rooms, setRooms] = useState<LiveRoom[] | null>(null);
  const [title, setTitle] = useState('');
  const [error, setError] = useState('');
  const load = useCallback(() => {
    api.rooms().then(setRooms, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [load]);
  const create = async () => {
    try {
      const r = await api.createRoom(title.trim());
      setTitle('');
      navigate(`/live-rooms/${r.uuid}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Stack>
      <Title order={3}>{t('rooms.title')}</Title>
      <Text size="sm" c="dimmed">{t('rooms.intro')}</Text>
      <Card withBorder>
        <Group align="flex-end">
          <TextInput label={t('rooms.newTitle')} value={title} onChange={(e) => setTitle(e.currentTarget.value)} data-testid="room-title"
            onKeyDown={(e) => { if (e.key === 'Enter' && title.trim()) void create(); }} />
          <Button disabled={!title.trim()} onClick={() => void create()} data-testid="room-create">{t('rooms.create')}</Button>
        </Group>
      </Card>
      {error && <Alert color="red" data-testid="rooms-error">{error}</Alert>}
      <Card withBorder>
        {rooms && rooms.length === 0 ? <Text size="sm" data-testid="no-rooms">{t('rooms.none')}</Text> : (
          <Table.ScrollContainer minWidth={520}>
            <Table>
              <Table.Thead><Table.Tr>
                <Table.Th>{t('rooms.name')}</Table.Th><Table.Th>{t('rooms.stream')}</Table.Th>
                <Table.Th>{t('rooms.viewers')}</Table.Th><Table.Th>{t('rooms.created')}</Table.Th>
              </Table.Tr></Table.Thead>
              <Table.Tbody>
                {(rooms ?? []).map((r) => (
                  <Table.Tr key={r.uuid} data-testid={`room-${r.uuid}`}>
                    <Table.Td><Anchor component={Link} to={`/live-rooms/${r.uuid}`}>{r.title}</Anchor>{r.playAuth && <Badge ml="xs" size="xs" variant="light">{t('rooms.tokenBadge')}</Badge>}</Table.Td>
                    <Table.Td><code>{r.stream}</code></Table.Td>
                    <Table.Td data-testid="room-viewers">{r.viewers ?? 0}</Table.Td>
                    <Table.Td>{new Date(r.created_at).toLocaleString()}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <PlayAuthCard />
    </Stack>
  );
}
