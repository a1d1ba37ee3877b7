#!/usr/bin/python3
# An IP camera for the tests: GStreamer's RTSP server (Debian's gir1.2-gst-rtsp-server-1.0 through python3-gi)
# serving a live test picture (H.264 or H.265) and tone (AAC, RFC 3640 mpeg4-generic) at rtsp://127.0.0.1:PORT/PATH,
# over UDP and TCP, with Digest auth when a user is given. Prints "ready <port>" once it listens.
# Usage: rtsp-camera-server.py --port N [--path /cam] [--video h264|h265|none] [--audio aac|none]
#                              [--user U --password P] [--auth digest|basic] [--tcp-only] [--session-timeout N]
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
gi.require_version('GstRtsp', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--port', type=int, required=True)
p.add_argument('--path', default='/cam')
p.add_argument('--video', default='h264', choices=['h264', 'h265', 'none'])
p.add_argument('--audio', default='aac', choices=['aac', 'none'])
p.add_argument('--user', default='')
p.add_argument('--password', default='')
p.add_argument('--auth', default='digest', choices=['digest', 'basic'])
p.add_argument('--tcp-only', action='store_true', help='refuse UDP (SETUP answers 461)')
p.add_argument('--session-timeout', type=int, default=0, help='sessions expire after N s without a keepalive')
a = p.parse_args()

Gst.init(None)
parts = []
if a.video == 'h264':
    parts.append('videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 '
                 '! x264enc tune=zerolatency bframes=0 key-int-max=25 speed-preset=ultrafast bitrate=300 '
                 '! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=-1')
elif a.video == 'h265':
    parts.append('videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 '
                 '! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=300 '
                 '! rtph265pay name=pay0 pt=96 config-interval=-1')
if a.audio == 'aac':
    name = 'pay1' if a.video != 'none' else 'pay0'
    parts.append('audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=48000,channels=2 ! audioconvert '
                 f'! avenc_aac bitrate=64000 ! aacparse ! rtpmp4gpay name={name} pt=97')
launch = '( ' + ' '.join(parts) + ' )'

server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(str(a.port))
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(launch)
factory.set_shared(True)
if a.tcp_only:
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)

if a.user:
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string('media.factory.role', 'camera')
    if a.auth == 'digest':
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(a.user, a.password, token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password), token)
    server.set_auth(auth)
    perms = GstRtspServer.RTSPPermissions()
    perms.add_role('camera')
    perms.add_permission_for_role('camera', GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    perms.add_permission_for_role('camera', GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    factory.set_permissions(perms)

server.get_mount_points().add_factory(a.path, factory)
if a.session_timeout > 0:
    # Sessions time out after N s; the pool is cleaned every second (gst-rtsp-server's test-timeout example).
    def connected(srv, client):
        client.connect('new-session', lambda c, s: s.set_timeout(a.session_timeout))
        # Say each keepalive, so that a test can count them.
        client.connect('get-parameter-request', lambda c, ctx: print('keepalive GET_PARAMETER', flush=True))
        client.connect('options-request', lambda c, ctx: print('keepalive OPTIONS', flush=True))

    server.connect('client-connected', connected)

    def expire():
        n = server.get_session_pool().cleanup()
        if n:
            print(f'expired {n} session(s)', flush=True)
        return True

    GLib.timeout_add_seconds(1, expire)
if server.attach(None) == 0:
    print(f'cannot listen on port {a.port}', file=sys.stderr)
    sys.exit(1)
loop = GLib.MainLoop()
signal.signal(signal.SIGTERM, lambda *_: loop.quit())
print(f'ready {a.port}', flush=True)
loop.run()
