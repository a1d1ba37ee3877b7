// A Node process that runs the embedded Redis and prints its pid, for the test that SIGKILLs this process
// and checks that redis-server does not outlive it. argv[2]: the data directory.
import { pino } from 'pino';
import { EmbeddedRedis } from '../../../src/control/redis/launcher.js';

const r = new EmbeddedRedis({ dir: process.argv[2]!, logger: pino({ level: 'silent' }) });
await r.start();
process.stdout.write(`redis pid ${r.pid}\n`);
setInterval(() => {}, 1000);
