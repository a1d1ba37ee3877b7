// Includes libsrt's public headers, or stops the build with the name of the
// Debian package that provides them.
#pragma once

#if defined(__has_include)
#if !__has_include(<srt/srt.h>)
#error "SRT: missing libsrt headers; install the Debian package libsrt-openssl-dev (apt-get install libsrt-openssl-dev)"
#endif
#endif

#include <srt/srt.h>
#include <srt/access_control.h>
