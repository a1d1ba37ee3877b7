// The embeddable player: /players/?app=live&stream=S&type=hls|flv|whep fills its frame, autoplays muted.
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { PATHS } from '../api/paths';
import { VideoPlayer } from '../components/video-player';

const NAME = /^[a-zA-Z0-9_\-.~]+$/;

export function EmbedPlayerPage() {
  const { t } = useTranslation();
  const [q] = useSearchParams();
  const app = q.get('app') || 'live';
  const stream = q.get('stream') || 'livestream';
  const type = q.get('type') === 'flv' ? 'flv' : q.get('type') === 'whep' ? 'whep' : 'hls';
  if (!NAME.test(app) || !NAME.test(stream)) return <p role="alert">{t('player.badName')}</p>;
  const o = location.origin;
  const url = type === 'whep'
    ? `${o}${PATHS.whep}?app=${encodeURIComponent(app)}&stream=${encodeURIComponent(stream)}`
    : `${o}/${app}/${stream}.${type === 'flv' ? 'flv' : 'm3u8'}`;
  return <VideoPlayer type={type} url={url} fill />;
}
