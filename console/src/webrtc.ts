// WHIP and WHEP from the browser: one RTCPeerConnection, the offer POSTed as application/sdp, the answer set,
// and the session's Location DELETEd when it stops.
export interface RtcSession { pc: RTCPeerConnection; stop(): Promise<void> }

async function negotiate(pc: RTCPeerConnection, url: string): Promise<string | null> {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer.sdp });
  const text = await r.text();
  if (!r.ok) {
    let msg = text;
    try { msg = (JSON.parse(text) as { message?: string }).message ?? text; } catch { /* plain */ }
    throw new Error(msg || `HTTP ${r.status}`);
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
  const loc = r.headers.get('Location');
  return loc ? new URL(loc, url).toString() : null;
}

function session(pc: RTCPeerConnection, location: string | null, tracks: MediaStreamTrack[] = []): RtcSession {
  return {
    pc,
    async stop() {
      for (const t of tracks) t.stop();
      // DELETE first: once the peer connection closes, the server may end the session on its own.
      if (location) await fetch(location, { method: 'DELETE' }).catch(() => undefined);
      pc.close();
    },
  };
}

export async function whipPublish(url: string, media: MediaStream): Promise<RtcSession> {
  const pc = new RTCPeerConnection();
  for (const t of media.getTracks()) pc.addTransceiver(t, { direction: 'sendonly' });
  try {
    return session(pc, await negotiate(pc, url), media.getTracks());
  } catch (e) {
    pc.close();
    throw e;
  }
}

export async function whepPlay(url: string, video: HTMLVideoElement): Promise<RtcSession> {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    video.srcObject = stream;
  };
  try {
    return session(pc, await negotiate(pc, url));
  } catch (e) {
    pc.close();
    throw e;
  }
}
