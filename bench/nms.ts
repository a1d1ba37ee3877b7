// Runs node-media-server v4 (the devDependency) the way its own bin does, with a config of our ports:
// RTMP on <rtmpPort>, HTTP-FLV on <httpPort> at /live/<stream>.flv, no RTMPS/HTTPS, no admin console.
// argv: <rtmpPort> <httpPort> <dataDir>
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [rtmpPort, httpPort, dataDir] = process.argv.slice(2);
if (!rtmpPort || !httpPort || !dataDir) {
  console.error('usage: nms.js <rtmpPort> <httpPort> <dataDir>');
  process.exit(2);
}

interface Nms {
  run(): Promise<void>;
  stop(): Promise<void>;
}
const require = createRequire(import.meta.url);
const NodeMediaServer = require('node-media-server') as new (config: object, configPath: string) => Nms;

const config = {
  bind: '127.0.0.1',
  notify: { url: '' },
  store: { path: join(dataDir, 'store') },
  auth: { play: false, publish: false, secret: '' },
  rtmp: { port: Number(rtmpPort) },
  http: { port: Number(httpPort) },
  webadmin: { enable: false },
  record: { auto: false, path: join(dataDir, 'record') },
};
const nms = new NodeMediaServer(config, join(dataDir, 'config.json'));
void nms.run();
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  nms.stop().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
