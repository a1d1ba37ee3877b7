// Recording: on/off, which streams (globs), post-processing (none, copy to a directory, S3), and the list of
// recordings with their state, refreshed every 3 s: play in the page (HLS while it records, MP4 or HLS when
// done), download, end, remove. The S3 settings have a "test connection" that tries them before saving.
import { Alert, Badge, Button, Card, Checkbox, Group, Modal, SegmentedControl, Stack, Switch, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, recordHlsUrl, recordMp4Url } from '../api/client';
import type { PostProcess, RecordFile, RecordSettings, S3Check, S3Settings } from '../api/types';
import { VideoPlayer } from '../components/video-player';
import { bytes, duration } from '../format';

const EMPTY_S3: S3Settings = { endpoint: '', region: '', bucket: '', prefix: '', accessKey: '', secretKey: '', pathStyle: true };
const STATE_COLORS: Record<string, string> = { recording: 'red', waiting: 'yellow', finalizing: 'blue', done: 'green', failed: 'gray' };

function stateOf(f: RecordFile): string {
  return f.state ?? (f.progress ? 'recording' : 'done');
}

export function RecordingPage() {
  const { t, i18n } = useTranslation();
  const [settings, setSettings] = useState<RecordSettings | null>(null);
  const [globs, setGlobs] = useState('');
  const [post, setPost] = useState<PostProcess>('none');
  const [cpDir, setCpDir] = useState('');
  const [s3, setS3] = useState<S3Settings>(EMPTY_S3);
  const [files, setFiles] = useState<RecordFile[]>([]);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [playing, setPlaying] = useState<RecordFile | null>(null);
  const [playAs, setPlayAs] = useState<'mp4' | 'hls'>('mp4');
  const [check, setCheck] = useState<S3Check | { failed: string } | null>(null);
  const [checking, setChecking] = useState(false);

  const loadSettings = useCallback(() => {
    api.record().then((r) => {
      setSettings(r);
      setGlobs((r.globs ?? []).join('\n'));
      setPost(r.postProcess ?? (r.processCpDir || r.postCpDir ? 'post-cp-file' : 'none'));
      setCpDir(r.postCpDir ?? r.processCpDir ?? '');
      setS3({ ...EMPTY_S3, ...(r.s3 ?? {}) });
    }, (e: Error) => setMsg({ ok: false, text: e.message }));
  }, []);
  const loadFiles = useCallback(() => {
    api.recordFiles().then((f) => setFiles(Array.isArray(f) ? f : []), () => undefined);
  }, []);
  useEffect(() => {
    loadSettings();
    loadFiles();
    const id = window.setInterval(loadFiles, 3000);
    return () => window.clearInterval(id);
  }, [loadSettings, loadFiles]);

  const act = async (f: () => Promise<unknown>, reload = true) => {
    try {
      await f();
      setMsg({ ok: true, text: t('common.saved') });
      if (reload) loadSettings();
      loadFiles();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  const testS3 = async () => {
    setChecking(true);
    setCheck(null);
    try {
      setCheck(await api.recordS3Check(s3));
    } catch (e) {
      setCheck({ failed: (e as Error).message });
    } finally {
      setChecking(false);
    }
  };
  const play = (f: RecordFile) => {
    setPlayAs(stateOf(f) === 'done' ? 'mp4' : 'hls');
    setPlaying(f);
  };
  const savePost = () => act(() => api.recordPostProcessing(
    post === 's3' ? { postProcess: post, s3 } : post === 'post-cp-file' ? { postProcess: post, postCpDir: cpDir } : { postProcess: 'none' }));

  return (
    <Stack>
      <Title order={3}>{t('recording.title')}</Title>
      {msg && <Alert color={msg.ok ? 'green' : 'red'} withCloseButton onClose={() => setMsg(null)} data-testid="record-msg">{msg.text}</Alert>}
      <Card withBorder>
        <Stack>
          <Switch label={t('recording.enabled')} checked={settings?.all ?? false} data-testid="record-on"
            onChange={(e) => { const on = e.currentTarget.checked; void act(() => api.applyRecord(on)); }} />
          {settings?.home && <Text size="xs" c="dimmed">{t('recording.home', { dir: settings.home })}</Text>}
          <Textarea label={t('recording.globs')} description={t('recording.globsHint')} value={globs} autosize minRows={2}
            onChange={(e) => setGlobs(e.currentTarget.value)} data-testid="globs" />
          <Group><Button size="xs" data-testid="save-globs" onClick={() => void act(() => api.recordGlobs(globs.split('\n').map((g) => g.trim()).filter(Boolean)))}>{t('recording.saveGlobs')}</Button></Group>
        </Stack>
      </Card>

      <Card withBorder>
        <Title order={5} mb="xs">{t('recording.post')}</Title>
        <Stack>
          <SegmentedControl value={post} onChange={(v) => setPost(v as PostProcess)} data-testid="post"
            data={[{ value: 'none', label: t('recording.postNone') }, { value: 'post-cp-file', label: t('recording.postCopy') }, { value: 's3', label: 'S3' }]} />
          {post === 'post-cp-file' && <TextInput label={t('recording.cpDir')} value={cpDir} onChange={(e) => setCpDir(e.currentTarget.value)} />}
          {post === 's3' && (
            <Stack gap="xs">
              <TextInput label={t('recording.s3Endpoint')} placeholder="https://s3.us-east-1.amazonaws.com" value={s3.endpoint} onChange={(e) => setS3({ ...s3, endpoint: e.currentTarget.value })} />
              <TextInput label={t('recording.s3Region')} value={s3.region} onChange={(e) => setS3({ ...s3, region: e.currentTarget.value })} />
              <TextInput label={t('recording.s3Bucket')} value={s3.bucket} onChange={(e) => setS3({ ...s3, bucket: e.currentTarget.value })} />
              <TextInput label={t('recording.s3Prefix')} value={s3.prefix} onChange={(e) => setS3({ ...s3, prefix: e.currentTarget.value })} />
              <TextInput label={t('recording.s3AccessKey')} value={s3.accessKey} onChange={(e) => setS3({ ...s3, accessKey: e.currentTarget.value })} />
              <TextInput label={t('recording.s3SecretKey')} type="password" value={s3.secretKey} onChange={(e) => setS3({ ...s3, secretKey: e.currentTarget.value })} />
              <Checkbox label={t('recording.s3PathStyle')} checked={s3.pathStyle} onChange={(e) => setS3({ ...s3, pathStyle: e.currentTarget.checked })} />
              {check && (
                'failed' in check
                  ? <Alert color="red" data-testid="s3-check-result" data-ok="false">{check.failed}</Alert>
                  : <Alert color={check.ok ? 'green' : 'red'} data-testid="s3-check-result" data-ok={String(check.ok)} data-kind={check.kind}
                      title={i18n.exists(`recording.s3Kinds.${check.kind}`) ? t(`recording.s3Kinds.${check.kind}`) : check.kind}>
                      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{check.message}</Text>
                    </Alert>
              )}
            </Stack>
          )}
          <Group>
            <Button size="xs" onClick={() => void savePost()} data-testid="save-post">{t('common.save')}</Button>
            {post === 's3' && <Button size="xs" variant="light" loading={checking} onClick={() => void testS3()} data-testid="s3-check"
              title={t('recording.s3CheckHint')}>{checking ? t('recording.s3Checking') : t('recording.s3Check')}</Button>}
          </Group>
          {post === 's3' && <Text size="xs" c="dimmed">{t('recording.s3CheckHint')}</Text>}
        </Stack>
      </Card>

      <Card withBorder>
        <Title order={5} mb="xs">{t('recording.files')}</Title>
        {files.length === 0 ? <Text size="sm" c="dimmed" data-testid="no-files">{t('recording.noFiles')}</Text> : (
          <Table.ScrollContainer minWidth={720}>
            <Table striped data-testid="files">
              <Table.Thead><Table.Tr>
                <Table.Th>{t('dashboard.stream')}</Table.Th><Table.Th>{t('recording.state')}</Table.Th>
                <Table.Th>{t('recording.duration')}</Table.Th><Table.Th>{t('recording.size')}</Table.Th>
                <Table.Th>{t('recording.updated')}</Table.Th><Table.Th />
              </Table.Tr></Table.Thead>
              <Table.Tbody>
                {files.map((f) => {
                  const st = stateOf(f);
                  const mp4 = f.url || recordMp4Url(f.uuid);
                  return (
                    <Table.Tr key={f.uuid} data-testid={`file-${f.stream ?? ''}`} data-uuid={f.uuid}>
                      <Table.Td>{f.app}/{f.stream}</Table.Td>
                      <Table.Td miw={130}>
                        <Badge color={STATE_COLORS[st] ?? 'gray'} data-testid="file-state">{i18n.exists(`recording.states.${st}`) ? t(`recording.states.${st}`) : st /* a state newer than this console */}</Badge>
                        {f.post && f.post.state && f.post.state !== 'none' && <Text size="xs">{t('recording.postState', { state: f.post.state })}</Text>}
                        {f.error && <Text size="xs" c="red">{f.error}</Text>}
                        {f.post?.reason && <Text size="xs" c="red">{f.post.reason}</Text>}
                      </Table.Td>
                      <Table.Td>{duration(f.duration ?? 0)}</Table.Td>
                      <Table.Td>{bytes(f.size)}</Table.Td>
                      <Table.Td>{f.update ? new Date(f.update).toLocaleString() : ''}</Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          {st === 'done' && <Button size="xs" variant="light" onClick={() => play(f)} data-testid="file-play">{t('recording.play')}</Button>}
                          {(st === 'recording' || st === 'waiting' || st === 'finalizing') && <Button size="xs" variant="light" onClick={() => play(f)} data-testid="file-play-live">{t('recording.playLive')}</Button>}
                          {st === 'done' && <Button size="xs" variant="light" component="a" href={mp4} download={`${f.stream ?? f.uuid}-${f.uuid}.mp4`}>{t('recording.download')}</Button>}
                          {(st === 'recording' || st === 'waiting') && <Button size="xs" variant="light" color="orange" data-testid="file-end" onClick={() => void act(() => api.recordEnd(f.uuid), false)}>{t('recording.end')}</Button>}
                          {st !== 'recording' && st !== 'finalizing' && <Button size="xs" variant="light" color="red" data-testid="file-remove"
                            onClick={() => { if (window.confirm(t('recording.confirmRemove'))) void act(() => api.recordRemove(f.uuid), false); }}>{t('recording.remove')}</Button>}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <Modal opened={!!playing} onClose={() => setPlaying(null)} title={playing ? `${playing.app}/${playing.stream}` : ''} size="lg">
        {playing && (
          <Stack gap="xs">
            {stateOf(playing) === 'done'
              ? <SegmentedControl size="xs" value={playAs} onChange={(v) => setPlayAs(v as 'mp4' | 'hls')} data-testid="play-as"
                  data={[{ value: 'mp4', label: t('recording.playMp4') }, { value: 'hls', label: t('recording.playHls') }]} />
              : <Text size="xs" c="dimmed">{t('recording.liveHint')}</Text>}
            {playAs === 'hls'
              ? <VideoPlayer key={`hls-${playing.uuid}`} type="hls" url={recordHlsUrl(playing.uuid)} />
              : <VideoPlayer key={`mp4-${playing.uuid}`} type="mp4" url={playing.url || recordMp4Url(playing.uuid)} />}
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
