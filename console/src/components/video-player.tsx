// One <video> that plays a live stream by HLS (hls.js), HTTP-FLV (mpegts.js) or WHEP (WebRTC), started when
// mounted and torn down when unmounted. A live stream may not be ready when the page asks (the first HLS
// segment is still being cut, the publisher reconnects): after a fatal error the player says why and tries
// again every few seconds while it is shown.
import { useEffect, useRef, useState } from 'react';
import { whepPlay } from '../webrtc';

export type PlayType = 'hls' | 'flv' | 'ts' | 'whep' | 'mp4';

export function VideoPlayer({ type, url, fill }: { type: PlayType; url: string; fill?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState('');
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    let stop: () => void = () => undefined;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const fail = (m: string) => {
      if (cancelled) return;
      setError(m);
      if (type !== 'mp4' && retry === undefined) retry = setTimeout(() => setAttempt((a) => a + 1), 3000);
    };
    v.addEventListener('playing', () => setError(''), { once: true });
    const start = async () => {
      if (type === 'hls') {
        const { default: Hls } = await import('hls.js');
        if (cancelled) return;
        if (Hls.isSupported()) {
          const hls = new Hls({ liveSyncDurationCount: 2 });
          hls.on(Hls.Events.ERROR, (_e, d) => d.fatal && fail(`HLS: ${d.details}`));
          hls.loadSource(url);
          hls.attachMedia(v);
          stop = () => hls.destroy();
        } else {
          v.src = url;
          stop = () => v.removeAttribute('src');
        }
      } else if (type === 'flv' || type === 'ts') {
        const { default: mpegts } = await import('mpegts.js');
        if (cancelled) return;
        const p = mpegts.createPlayer({ type: type === 'flv' ? 'flv' : 'mpegts', isLive: true, url }, { enableStashBuffer: false, liveBufferLatencyChasing: true });
        p.on(mpegts.Events.ERROR, (t: string, d: string) => fail(`${type.toUpperCase()}: ${t} ${d}`));
        p.attachMediaElement(v);
        p.load();
        stop = () => { p.destroy(); };
      } else if (type === 'whep') {
        const s = await whepPlay(url, v);
        if (cancelled) { void s.stop(); return; }
        stop = () => void s.stop();
      } else {
        v.src = url;
        stop = () => v.removeAttribute('src');
      }
      v.play().catch(() => undefined);
    };
    start().catch((e: Error) => fail(e.message));
    return () => { cancelled = true; clearTimeout(retry); stop(); };
  }, [type, url, attempt]);
  return (
    <div style={fill ? { position: 'fixed', inset: 0, background: '#000' } : undefined}>
      <video
        ref={ref}
        data-testid={`video-${type}`}
        muted
        autoPlay
        playsInline
        controls
        style={fill ? { width: '100%', height: '100%', objectFit: 'contain' } : { width: '100%', maxHeight: 360, background: '#000' }}
      />
      {error && <div role="alert" style={{ color: '#e03131', fontSize: 14 }}>{error}</div>}
    </div>
  );
}
