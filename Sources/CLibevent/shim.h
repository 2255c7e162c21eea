// The edge's view of libevent 2.1 (Debian's libevent-dev) and of the few socket
// options it sets. Only headers and tiny wrappers live here, no logic: every
// wrapper exists because Swift cannot call a macro or read a non-trivial macro
// constant, and each one says which.
#ifndef CLIBEVENT_SHIM_H
#define CLIBEVENT_SHIM_H

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

/// `TCP_DEFER_ACCEPT` is a macro of <netinet/tcp.h>: accept() returns a connection
/// only once its first bytes have arrived, so the edge can read at once.
static inline int clibevent_tcp_defer_accept(void) { return TCP_DEFER_ACCEPT; }

/// `TCP_NODELAY` is a macro of <netinet/tcp.h>: answers are written whole, so
/// Nagle's delay only adds latency.
static inline int clibevent_tcp_nodelay(void) { return TCP_NODELAY; }

#endif
