// English strings. zh.ts must have the same keys (its type is checked against this object).
export const en = {
  app: { title: 'SRS Stack' },
  common: { copy: 'Copy', copied: 'Copied', save: 'Save', saved: 'Saved', refresh: 'Refresh' },
  nav: {
    dashboard: 'Dashboard', streaming: 'Streaming', recording: 'Recording', callbacks: 'HTTP callbacks',
    settings: 'Settings', openapi: 'OpenAPI', logout: 'Log out', menu: 'Menu',
  },
  login: {
    title: 'Log in', password: 'Password', submit: 'Log in',
    expired: 'Your session ended (the token expired or was revoked). Please log in again.',
    slow: 'Checking... a wrong password is answered slowly.',
  },
  setup: {
    title: 'Welcome', intro: 'This server has no console password yet. Set one now: it protects the console and the API.',
    password: 'New password', confirm: 'Repeat the password', submit: 'Set password and log in',
    mismatch: 'The two passwords are not the same.', strength: 'Strength: {{level}}',
    weak: 'weak', fair: 'fair', good: 'good', strong: 'strong',
    code: 'Setup code', codeHint: 'The one-time code the server printed in its log when it started.',
  },
  dashboard: {
    title: 'Dashboard', version: 'version {{version}}', uptime: 'up {{uptime}}', streams: 'Live streams',
    noStreams: 'No stream is being published. See Streaming for how to publish one.', stream: 'Stream',
    video: 'Video', audio: 'Audio', kbpsInOut: 'kbps in / out', viewers: 'Viewers', live: 'Live for',
    clients: 'Clients', noClients: 'No client is connected.', type: 'Type', ip: 'IP', alive: 'Connected for', kick: 'Kick',
    cpu: 'CPU %', cpuServer: 'this server', cpuSystem: 'whole machine', memory: 'Memory', memoryMb: 'RSS MB',
    network: 'Network kbps', recv: 'in', send: 'out', viewerCount: 'Viewers',
  },
  streaming: {
    title: 'Streaming', streamName: 'Stream name', streamHint: 'Letters, digits, - _ . ~ (app is "live")',
    publish: 'Publish', browser: 'This browser', obsServer: 'OBS: Server', obsKey: 'OBS: Stream Key',
    rtmpUrl: 'RTMP URL (ffmpeg, Larix and other apps)', qrHint: 'Scan with a mobile app such as Larix',
    ffmpegCmd: 'FFmpeg command', srtUrl: 'SRT URL (OBS, ffmpeg, Larix)', ffmpegSrt: 'FFmpeg over SRT',
    whipUrl: 'WHIP URL (OBS 30+ or this page)', whipStart: 'Publish my camera and microphone', whipStop: 'Stop publishing',
    rtcState: 'WebRTC: {{state}}', cameraError: 'Cannot use the camera or microphone: {{message}}',
    secureHint: 'Browsers allow the camera only on https:// or localhost: open this console over HTTPS (port 2443) from other machines.',
    playTitle: 'Play', play: 'Play', stopPlay: 'Stop',
    embed: 'Embed in a website', embedHint: 'Paste this code into your web page (WordPress: a "Custom HTML" block).',
    embedHls: 'HLS player (any browser)', embedWhep: 'WebRTC player (lowest latency)', openPlayer: 'Open the player',
    secret: 'Publish secret', secretOn: 'Publishing needs the secret', currentSecret: 'Current secret:',
    newSecret: 'New secret', secretHint: 'A change applies to the next publish; streams being published go on.',
  },
  recording: {
    title: 'Recording', enabled: 'Record live streams to MP4', home: 'Files are kept in {{dir}}',
    globs: 'Only these streams', globsHint: 'One pattern a line, e.g. /live/*; empty = every stream.', saveGlobs: 'Save patterns',
    post: 'After a recording ends', postNone: 'Keep it here', postCopy: 'Copy to a folder', cpDir: 'Folder on the server',
    s3Endpoint: 'Endpoint', s3Region: 'Region', s3Bucket: 'Bucket', s3Prefix: 'Key prefix', s3AccessKey: 'Access key',
    s3SecretKey: 'Secret key', s3PathStyle: 'Path-style URLs (MinIO and most S3-compatible servers)',
    files: 'Recordings', noFiles: 'No recording yet.', state: 'State', duration: 'Duration', size: 'Size', updated: 'Updated',
    postState: 'post-processing: {{state}}', download: 'Download', end: 'End', remove: 'Remove',
    confirmRemove: 'Remove this recording and its files?',
    states: { recording: 'recording', waiting: 'waiting for the publisher', finalizing: 'finalizing', done: 'done', failed: 'failed' },
  },
  callbacks: {
    title: 'HTTP callbacks', enabled: 'Send HTTP callbacks', target: 'Target URL', useSample: 'Use the built-in sample receiver',
    opaque: 'Opaque', opaqueHint: 'Sent as "opaque" in every callback, so your server can tell it is us.',
    events: 'Events', onPublish: '(a stream starts; anything but HTTP 200 with {"code":0} refuses the publish)',
    onUnpublish: '(a stream stops)', onRecord: '(a recording starts and ends, with the MP4 URL)',
    last: 'Last callback', request: 'Request', response: 'Response', none: '(none yet)',
  },
  settings: {
    title: 'Settings', noHlsCtx: 'HLS without a per-viewer context', noHlsCtxHint: 'Playlists are the same for everyone, so a CDN can cache them.',
    hlsLowLatency: 'Low-latency HLS', hlsLowLatencyHint: 'Shorter segments for less delay.',
    limits: 'Limits (kbps)', vliveLimit: 'Virtual live', cameraLimit: 'IP camera', branding: 'Page title and footer',
    pageTitle: 'Page title', icp: 'ICP filing (beian) footer', icpHint: 'Shown at the bottom of every page, e.g. 京ICP备xxxxxxxx号',
    aiKey: 'API key', aiBaseUrl: 'Base URL', aiOrg: 'Organization', password: 'Password',
    passwordHint: 'The server has no API to change the console password yet: set the MGMT_PASSWORD environment variable and restart to change it.',
  },
  openapi: {
    title: 'OpenAPI', bearer: 'API secret', bearerHint: 'Scripts call the API with the header "Authorization: Bearer <API secret>". Keep it private.',
    show: 'Show the API secret', secret: 'API secret', examples: 'Examples', tryTitle: 'Try read-only calls', try: 'Try',
    spec: 'The whole HTTP API as an OpenAPI 3 document (for code generators and API tools):',
  },
  player: { badName: 'Bad app or stream name: use letters, digits, - _ . ~' },
};

type Strings<T> = { [K in keyof T]: T[K] extends string ? string : Strings<T[K]> };
export type Dictionary = Strings<typeof en>;
