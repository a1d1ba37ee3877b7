// The public room page, /rooms/<uuid>: the room's title and its player, nothing of the console and no secret
// (it reads live/room/public, which has none). A ?token= in the page URL is handed to the player, for rooms
// whose viewers need a play token.
import { Alert, Container, Stack, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import type { PublicRoom } from '../api/types';
import { VideoPlayer } from '../components/video-player';

export function PublicRoomPage() {
  const { t } = useTranslation();
  const { uuid = '' } = useParams();
  const [q] = useSearchParams();
  const [room, setRoom] = useState<PublicRoom | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api.publicRoom(uuid).then((r) => { setRoom(r); document.title = r.title; }, (e: Error) => setError(e.message));
  }, [uuid]);
  const token = q.get('token');
  if (error) return <Container py="xl"><Alert color="red" data-testid="public-room-error">{t('rooms.notFound')} ({error})</Alert></Container>;
  if (!room) return null;
  const url = `${location.origin}/${room.app}/${room.stream}.m3u8${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return (
    <Container size="md" py="md">
      <Stack>
        <Title order={2} data-testid="public-room-title">{room.title}</Title>
        <VideoPlayer type="hls" url={url} />
      </Stack>
    </Container>
  );
}
