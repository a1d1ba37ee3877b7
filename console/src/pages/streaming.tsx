// Streaming: how to publish (OBS and ffmpeg over RTMP, SRT, WHIP from this browser's camera) with the publish
// secret and copy buttons and a QR code, how to play (HLS, HTTP-FLV, HTTP-TS, RTMP, SRT, WHEP) with built-in
// players, the embeddable player's iframe code, and changing or turning off the publish secret.
import { Alert, Button, Card, Group, SimpleGrid, Stack, Switch, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Envs, PublishSecret } from '../api/types';
import { CopyField } from '../components/copy-field';
import { QrCode } from '../components/qr-code';
import { VideoPlayer, type PlayType } from '../components/video-player';
import { buildUrls } from '../urls';
import { whipPublish, type RtcSession } from '../webrtc';

function WhipPublisher({ url }: { url: string }) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const [session, setSession] = useState<RtcSession | null>(null);
  const [state, setState] = useState('');
  const [error, setError] = useState('');
  const live = useRef<RtcSession | null>(null);
  useEffect(() => () => { void live.current?.stop(); }, []); // leaving the page ends the publish

  const start = async () => {
    setError('');
    try {
      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
      if (video.current) video.current.srcObject = media;
      const s = await whipPublish(url, media);
      s.pc.onconnectionstatechange = () => setState(s.pc.connectionState);
      live.current = s;
      setSession(s);
    } catch (e) {
      setError(e instanceof DOMException ? t('streaming.cameraError', { message: e.message }) : (e as Error).message);
    }
  };
  const stop = async () => {
    live.current = null;
    await session?.stop();
    setSession(null);
    setState('');
    if (video.current) video.current.srcObject = null;
  };
  return (
    <Stack>
      <CopyField label={t('streaming.whipUrl')} value={url} testId="whip" />
      <Group>
        {!session ? <Button onClick={() => void start()} data-testid="whip-start">{t('streaming.whipStart')}</Button>
          : <Button color="red" onClick={() => void stop()} data-testid="whip-stop">{t('streaming.whipStop')}</Button>}
        {state && <Text size="sm" data-testid="whip-state">{t('streaming.rtcState', { state })}</Text>}
      </Group>
      {!window.isSecureContext && <Text size="xs" c="dimmed">{t('streaming.secureHint')}</Text>}
      {error && <Alert color="red" data-testid="whip-error">{error}</Alert>}
      <video ref={video} muted autoPlay playsInline style={{ width: '100%', maxWidth: 480, background: '#000', display: session ? 'block' : 'none' }} />
    </Stack>
  );
}

function PlayRow({ label, url, type, testId }: { label: string; url: string; type?: PlayType; testId: string }) {
  const { t } = useTranslation();
  const [playing, setPlaying] = useState(false);
  return (
    <Stack gap={4}>
      <CopyField label={label} value={url} testId={testId} />
      {type && (
        <Group><Button size="xs" variant={playing ? 'filled' : 'outline'} data-testid={`play-${testId}`} onClick={() => setPlaying(!playing)}>
          {playing ? t('streaming.stopPlay') : t('streaming.play')}
        </Button></Group>
      )}
      {type && playing && <VideoPlayer type={type} url={url} />}
    </Stack>
  );
}

export function StreamingPage() {
  const { t } = useTranslation();
  const [envs, setEnvs] = useState<Envs | null>(null);
  const [secret, setSecret] = useState<PublishSecret | null>(null);
  const [stream, setStream] = useState('livestream');
  const [newSecret, setNewSecret] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const load = useCallback(() => {
    api.publishSecret().then(setSecret, (e: Error) => setMsg({ ok: false, text: e.message }));
  }, []);
  useEffect(() => {
    api.envs().then(setEnvs, () => undefined);
    load();
  }, [load]);
  const name = stream.trim() || 'livestream';
  const u = buildUrls({ envs, secret: secret?.publish ?? '', noAuth: secret?.pubNoAuth ?? false, app: 'live', stream: name });
  const save = async (f: () => Promise<null>) => {
    try { await f(); setMsg({ ok: true, text: t('common.saved') }); load(); } catch (e) { setMsg({ ok: false, text: (e as Error).message }); }
  };
  const iframe = (type: 'hls' | 'flv' | 'whep') =>
    `<iframe src="${u.player(type)}" width="640" height="360" frameborder="0" allow="autoplay; fullscreen" allowfullscreen></iframe>`;
  return (
    <Stack>
      <Title order={3}>{t('streaming.title')}</Title>
      <TextInput label={t('streaming.streamName')} description={t('streaming.streamHint')} value={stream}
        onChange={(e) => setStream(e.currentTarget.value.replace(/[^a-zA-Z0-9_\-.~]/g, ''))} data-testid="stream-name" maw={360} />

      <Card withBorder>
        <Title order={5} mb="xs">{t('streaming.publish')}</Title>
        <Tabs defaultValue="obs" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="obs" data-testid="tab-obs">OBS</Tabs.Tab>
            <Tabs.Tab value="ffmpeg" data-testid="tab-ffmpeg">FFmpeg</Tabs.Tab>
            <Tabs.Tab value="srt" data-testid="tab-srt">SRT</Tabs.Tab>
            <Tabs.Tab value="whip" data-testid="tab-whip">{t('streaming.browser')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="obs" pt="sm">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Stack>
                <CopyField label={t('streaming.obsServer')} value={u.obsServer} testId="obs-server" />
                <CopyField label={t('streaming.obsKey')} value={u.obsKey} testId="obs-key" />
                <CopyField label={t('streaming.rtmpUrl')} value={u.rtmpPublish} testId="rtmp-publish" />
              </Stack>
              <Stack gap={4} align="center">
                <QrCode value={u.rtmpPublish} />
                <Text size="xs" c="dimmed">{t('streaming.qrHint')}</Text>
              </Stack>
            </SimpleGrid>
          </Tabs.Panel>
          <Tabs.Panel value="ffmpeg" pt="sm">
            <CopyField label={t('streaming.ffmpegCmd')} value={u.ffmpeg} testId="ffmpeg" />
          </Tabs.Panel>
          <Tabs.Panel value="srt" pt="sm">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Stack>
                <CopyField label={t('streaming.srtUrl')} value={u.srtPublish} testId="srt-publish" />
                <CopyField label={t('streaming.ffmpegSrt')} value={`ffmpeg -re -i input.mp4 -c copy -pes_payload_size 0 -f mpegts '${u.srtPublish}'`} testId="ffmpeg-srt" />
              </Stack>
              <Stack gap={4} align="center"><QrCode value={u.srtPublish} /></Stack>
            </SimpleGrid>
          </Tabs.Panel>
          <Tabs.Panel value="whip" pt="sm"><WhipPublisher url={u.whip} /></Tabs.Panel>
        </Tabs>
      </Card>

      <Card withBorder>
        <Title order={5} mb="xs">{t('streaming.playTitle')}</Title>
        <Stack>
          <PlayRow label="HLS" url={u.hls} type="hls" testId="hls" />
          <PlayRow label="HTTP-FLV" url={u.flv} type="flv" testId="flv" />
          <PlayRow label="HTTP-TS" url={u.ts} type="ts" testId="ts" />
          <PlayRow label="WebRTC (WHEP)" url={u.whep} type="whep" testId="whep" />
          <PlayRow label="RTMP" url={u.rtmpPlay} testId="rtmp-play" />
          <PlayRow label="SRT" url={u.srtPlay} testId="srt-play" />
        </Stack>
      </Card>

      <Card withBorder>
        <Title order={5} mb="xs">{t('streaming.embed')}</Title>
        <Text size="sm" mb="xs">{t('streaming.embedHint')}</Text>
        <Stack>
          <CopyField label={t('streaming.embedHls')} value={iframe('hls')} testId="iframe-hls" />
          <CopyField label={t('streaming.embedWhep')} value={iframe('whep')} testId="iframe-whep" />
          <Text size="sm"><a href={u.player('hls')} target="_blank" rel="noreferrer">{t('streaming.openPlayer')}</a></Text>
        </Stack>
      </Card>

      <Card withBorder>
        <Title order={5} mb="xs">{t('streaming.secret')}</Title>
        <Stack>
          <Switch label={t('streaming.secretOn')} checked={!(secret?.pubNoAuth ?? false)} data-testid="secret-on"
            onChange={(e) => { const on = e.currentTarget.checked; void save(() => api.setPubNoAuth(!on)); }} />
          {secret && <Text size="sm">{t('streaming.currentSecret')} <code data-testid="current-secret">{secret.publish}</code></Text>}
          <Group align="flex-end">
            <TextInput label={t('streaming.newSecret')} value={newSecret} onChange={(e) => setNewSecret(e.currentTarget.value)} data-testid="new-secret" />
            <Button disabled={!newSecret.trim()} data-testid="save-secret" onClick={() => void save(async () => { const r = await api.setPublishSecret(newSecret.trim()); setNewSecret(''); return r; })}>
              {t('common.save')}
            </Button>
          </Group>
          <Text size="xs" c="dimmed">{t('streaming.secretHint')}</Text>
          {msg && <Alert color={msg.ok ? 'green' : 'red'} data-testid="secret-msg">{msg.text}</Alert>}
        </Stack>
      </Card>
    </Stack>
  );
}
