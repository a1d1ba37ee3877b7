// A Node process that runs an endless FFmpeg through the supervisor and prints its pid, for the test that
// SIGKILLs this process and checks that the FFmpeg does not outlive it.
import { FfmpegSupervisor } from '../../../src/servers/ffmpeg/ffmpeg-supervisor.js';

const ff = new FfmpegSupervisor({ args: ['-hide_banner', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-f', 'null', '-'] });
ff.progressed.on(() => {
  if (ff.run) process.stdout.write(`ffmpeg pid ${ff.run.pid}\n`);
});
ff.start();
setInterval(() => {}, 1000);
