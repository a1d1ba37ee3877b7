// One live room: the player, the publish URLs with the room's secret, the viewers now, a share link to the
// public room page (with a play token when the room needs one), and its settings (title, stream, secret,
// play tokens on or off) and removal.
import { Alert, Anchor, Badge, Button, Card, Group, NumberInput, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api } from '../api/client';
import type { Envs, LiveRoom } from '../api/types';
import { CopyField } from '../components/copy-field';
import { VideoPlayer } from '../components/video-player';
import { buildUrls } from '../urls';

const APP = 'live';

export function LiveRoomPage() {
  const { t } = useTranslation();
  const { uuid = '' } = useParams();
  const navigate = useNavigate();
  const [room, setRoom] = useState<LiveRoom | null>(null);
  const [draft, setDraft] = useState<LiveRoom | null>(null);
  const [envs, setEnvs] = useState<Envs | null>(null);
  const [viewers, setViewers] = useState(0);
  const [live, setLive] = useState(false);
  const [token, setToken] = useState('');
  const [hours, setHours] = useState<number | string>(24);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [missing, setMissing] = useState(false);

  const load = useCallback(() => {
    api.room(uuid).then((r) => { setRoom(r); setDraft((d) => d ?? r); }, (e: Error & { status?: number }) => {
      if (e.status === 404) setMissing(true);
      else setMsg({ ok: false, text: e.message });
    });
  }, [uuid]);
  useEffect(load, [load]);
  useEffect(() => { api.envs().then(setEnvs, () => undefined); }, []);
  // Viewers and whether it is live, every few seconds.
  useEffect(() => {
    if (!room) return;
    const poll = () => {
      api.rooms().then((rs) => setViewers(rs.find((r) => r.uuid === room.uuid)?.viewers ?? 0), () => undefined);
      api.streams().then((s) => setLive(s.streams.some((x) => x.app === APP && x.name === room.stream && (x as { publish?: { active?: boolean } }).publish?.active !== false)), () => undefined);
    };
    poll();
    const timer = setInterval(poll, 3000);
    return () => clearInterval(timer);
  }, [room]);
  // A play token for this page's player and the share link, when the room needs one.
  const mint = useCallback(async (r: LiveRoom, h: number) => {
    if (!r.playAuth) { setToken(''); return; }
    const tk = await api.playToken({ streams: `/${APP}/${r.stream}`, expires: Math.max(60, Math.round(h * 3600)) });
    setToken(tk.token);
  }, []);
  useEffect(() => { if (room) mint(room, Number(hours) || 24).catch((e: Error) => setMsg({ ok: false, text: e.message })); }, [room, hours, mint]);

  if (missing) return <Stack><Alert color="red" data-testid="room-missing">{t('rooms.notFound')}</Alert><Anchor component={Link} to="/live-rooms">{t('rooms.back')}</Anchor></Stack>;
  if (!room || !draft) return null;
  const urls = buildUrls({ envs, secret: room.secret, noAuth: false, app: APP, stream: room.stream });
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  const share = `${location.origin}/rooms/${room.uuid}${q}`;
  const save = async () => {
    try {
      const r = await api.updateRoom({ ...room, title: draft.title, stream: draft.stream, secret: draft.secret, playAuth: !!draft.playAuth });
      setRoom(r);
      setDraft(r);
      setMsg({ ok: true, text: t('common.saved') });
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  const remove = async () => {
    if (!window.confirm(t('rooms.confirmRemove'))) return;
    try {
      await api.removeRoom(room.uuid);
      navigate('/live-rooms');
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  return (
    <Stack>
      <Anchor component={Link} to="/live-rooms" size="sm">← {t('rooms.back')}</Anchor>
      <Group>
        <Title order={3} data-testid="room-heading">{room.title}</Title>
        <Badge color={live ? 'red' : 'gray'} data-testid="room-live">{live ? t('rooms.live') : t('rooms.offline')}</Badge>
        <Text size="sm" data-testid="room-viewers-now">{t('rooms.viewersNow', { count: viewers })}</Text>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={5} mb="xs">{t('rooms.play')}</Title>
          {live ? <VideoPlayer type="hls" url={`${urls.hls}${q}`} /> : <Text size="sm" c="dimmed">{t('rooms.waiting')}</Text>}
        </Card>
        <Card withBorder>
          <Stack>
            <Title order={5}>{t('rooms.publish')}</Title>
            <CopyField label={t('streaming.obsServer')} value={urls.obsServer} testId="room-obs-server" />
            <CopyField label={t('streaming.obsKey')} value={urls.obsKey} testId="room-obs-key" />
            <CopyField label={t('streaming.rtmpUrl')} value={urls.rtmpPublish} testId="room-rtmp" />
            <CopyField label={t('streaming.srtUrl')} value={urls.srtPublish} testId="room-srt" />
            <CopyField label={t('streaming.whipUrl')} value={urls.whip} testId="room-whip" />
          </Stack>
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Stack>
          <CopyField label={t('rooms.share')} value={share} testId="room-share" />
          <Group>
            {room.playAuth && <NumberInput label={t('rooms.shareHours')} value={hours} onChange={setHours} min={0.1} w={200} data-testid="share-hours" />}
            <Anchor href={share} target="_blank" data-testid="room-share-open">{t('rooms.openShare')}</Anchor>
          </Group>
          <CopyField label="HLS" value={`${urls.hls}${q}`} testId="room-hls" />
          <CopyField label="HTTP-FLV" value={`${urls.flv}${q}`} testId="room-flv" />
          <CopyField label="WebRTC (WHEP)" value={`${urls.whep}${token ? `&token=${encodeURIComponent(token)}` : ''}`} testId="room-whep" />
        </Stack>
      </Card>
      <Card withBorder>
        <Stack>
          <Title order={5}>{t('rooms.edit')}</Title>
          <TextInput label={t('rooms.name')} value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.currentTarget.value })} data-testid="room-edit-title" />
          <TextInput label={t('rooms.stream')} value={draft.stream} onChange={(e) => setDraft({ ...draft, stream: e.currentTarget.value })} data-testid="room-edit-stream" />
          <TextInput label={t('rooms.secret')} value={draft.secret} onChange={(e) => setDraft({ ...draft, secret: e.currentTarget.value })} data-testid="room-edit-secret" />
          <Switch label={t('rooms.playAuth')} description={t('rooms.playAuthHint')} checked={!!draft.playAuth}
            onChange={(e) => setDraft({ ...draft, playAuth: e.currentTarget.checked })} data-testid="room-edit-playauth" />
          <Group>
            <Button onClick={() => void save()} data-testid="room-save">{t('rooms.save')}</Button>
            <Button color="red" variant="light" onClick={() => void remove()} data-testid="room-remove">{t('rooms.remove')}</Button>
          </Group>
          {msg && <Alert color={msg.ok ? 'green' : 'red'} data-testid="room-msg">{msg.text}</Alert>}
        </Stack>
      </Card>
    </Stack>
  );
}
