// The edge's view of libevent 2.1 (Debian's libevent-dev, found through
// pkg-config): libevent's own headers, nothing else, no wrappers.
//
// The system headers come first, on purpose: libevent's event-config.h
// defines _GNU_SOURCE before it includes them, and headers parsed with other
// feature macros than Swift's Glibc module would define fd_set and friends a
// second, different way. Included here first, they are parsed as Glibc
// parses them and libevent's own includes of them do nothing.
#ifndef CLIBEVENT_SHIM_H
#define CLIBEVENT_SHIM_H

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#endif
