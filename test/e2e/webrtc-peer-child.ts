// A WebRTC peer in a child process, for tests that need a peer to vanish (SIGKILL): argv is
// "whip|whep <endpoint>"; it prints "connected" once DTLS is up, then keeps going until killed.
import { makeTestMedia, weriftWhep, weriftWhip } from './webrtc-werift-client.js';

const [mode, endpoint] = process.argv.slice(2);
const s = mode === 'whip' ? await weriftWhip(endpoint!, makeTestMedia(1)) : await weriftWhep(endpoint!);
if (s.status !== 201) {
  console.log(`failed ${s.status} ${s.answer}`);
  process.exit(1);
}
const report = (state: string) => {
  if (state === 'connected') console.log('connected');
};
report(s.pc.connectionState);
s.pc.connectionStateChange.subscribe(report);
setInterval(() => {}, 1000);
