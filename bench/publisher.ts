// The bench publisher (a child of the orchestrator): ffmpeg -re -stream_loop -1 -c copy reads the source file
// in real time and loops it, writing FLV to a pipe; this process stamps every H.264 frame with the wall clock
// (an SEI user_data_unregistered NAL put first in the access unit) and publishes over RTMP with the project's
// RTMP client. It tells the orchestrator, for every keyframe, how many payload bytes it sent before it, so
// the orchestrator can tell exactly what fraction of the stream each viewer received.
// argv: <rtmp url> <source.flv>
import { spawn } from 'node:child_process';
import { FlvDemuxer, flvBodyPrefixLength } from '../src/codecs/flv.js';
import { VideoCodec, type Frame } from '../src/core/frame.js';
import { RtmpClient } from '../src/servers/rtmp/client.js';
import { stampNal, wallNow, type KeysMessage } from './common.js';

const [url, source] = process.argv.slice(2);
if (!url || !source) {
  console.error('usage: publisher.js <rtmp url> <source.flv>');
  process.exit(2);
}

const keys: [number, number][] = [];
let sent = 0;
let ready = false;

function stamp(f: Frame): Frame {
  if (f.type !== 'video' || f.header || f.codec !== VideoCodec.H264) return f;
  const sei = stampNal(wallNow());
  // Keep an access unit delimiter first if the encoder wrote one (H.264 7.4.1.2.3).
  const audFirst = f.data.length > 4 && (f.data[4]! & 0x1f) === 9;
  if (audFirst) {
    const audLen = 4 + f.data.readUInt32BE(0);
    return { ...f, data: Buffer.concat([f.data.subarray(0, audLen), sei, f.data.subarray(audLen)]) };
  }
  return { ...f, data: Buffer.concat([sei, f.data]) };
}

async function main(): Promise<void> {
  const client = new RtmpClient({ timeoutMs: 10000 });
  const t = await client.connect(url!);
  await client.publish(t.stream);
  client.closed.on(() => {
    process.send?.({ type: 'error', error: 'the server closed the publish connection' });
    process.exit(1);
  });
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', source!, '-c', 'copy', '-f', 'flv', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => {
    ff.kill('SIGKILL');
    client.close();
    process.exit(0);
  };
  ff.on('exit', (code) => {
    process.send?.({ type: 'error', error: `ffmpeg exited (${code})` });
    process.exit(1);
  });
  const demux = new FlvDemuxer({
    onFrame: (f) => {
      const s = stamp(f);
      if (s.type === 'video' && s.keyframe && !s.header) {
        keys.push([Math.round(s.dts), sent]);
        if (!ready) {
          ready = true;
          process.send?.({ type: 'ready' });
        }
      }
      sent += flvBodyPrefixLength(s) + s.data.length;
      client.sendFrame(s);
    },
  });
  ff.stdout.on('data', (d: Buffer) => demux.push(d));
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'keys') process.send?.({ type: 'keys', keys } satisfies KeysMessage);
    else if (m.cmd === 'exit') stop();
  });
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: Error) => {
  process.send?.({ type: 'error', error: e.message });
  process.exit(1);
});
