// An open-loop HTTP/1.1 load generator for measuring the edge's latency at a
// fixed request rate: requests go out on a schedule (rate spread over the
// connections, pipelined when an answer is late) whatever the server does,
// and each latency is counted from the time its request was due, so that a
// slow answer is not hidden by the requests it held back (no coordinated
// omission). Answers must have no body (the edge's 302s have none).
//
// cc -O2 -o loadgen loadgen.c
// loadgen HOST PORT PATH RATE SECONDS [CONNECTIONS] [WARMUP_SECONDS]

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE 4096                 // requests in flight per connection at most
#define BUCKETS (100000 + 1000)    // 0.1 us steps to 10 ms, then 1 ms steps to 1 s

typedef struct {
    int fd;
    uint64_t due[QUEUE];           // when each request in flight was due, ns
    unsigned head, tail;
    char buffer[65536];
    size_t filled;
} connection;

static uint64_t histogram[BUCKETS];
static uint64_t counted, late_sends, max_latency;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void record(uint64_t latency) {
    size_t bucket = latency < 10000000 ? latency / 100 : 100000 + (latency - 10000000) / 1000000;
    if (bucket >= BUCKETS) bucket = BUCKETS - 1;
    histogram[bucket]++;
    counted++;
    if (latency > max_latency) max_latency = latency;
}

static double percentile(double p) {
    uint64_t target = (uint64_t)(p / 100.0 * (double)counted), seen = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        seen += histogram[i];
        if (seen > target) return i < 100000 ? (double)(i + 1) / 10.0 : 10000.0 + (double)(i - 100000 + 1) * 1000.0;
    }
    return (double)max_latency / 1000.0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST PORT PATH RATE SECONDS [CONNECTIONS] [WARMUP_SECONDS]\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *path = argv[3];
    int port = atoi(argv[2]);
    double rate = atof(argv[4]), seconds = atof(argv[5]);
    int count = argc > 6 ? atoi(argv[6]) : 64;
    double warmup = argc > 7 ? atof(argv[7]) : 2;
    char request[1024];
    int request_length = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: loadgen\r\n\r\n", path, host);

    int poller = epoll_create1(0);
    connection *connections = calloc((size_t)count, sizeof *connections);
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, host, &address.sin_addr);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { perror("connect"); return 1; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        connections[i].fd = fd;
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event);
    }

    const uint64_t interval = (uint64_t)(1e9 / rate);   // between two requests, over all connections
    const uint64_t start = now_ns(), measure_from = start + (uint64_t)(warmup * 1e9), end = measure_from + (uint64_t)(seconds * 1e9);
    uint64_t next_due = start, sent = 0;
    struct epoll_event events[256];
    while (1) {
        uint64_t now = now_ns();
        // Send every request that is due, round robin over the connections.
        while (next_due <= now && next_due < end) {
            connection *c = &connections[sent % (uint64_t)count];
            if (c->tail - c->head >= QUEUE) { fprintf(stderr, "too many requests in flight\n"); return 1; }
            ssize_t written = write(c->fd, request, (size_t)request_length);
            if (written != request_length) { fprintf(stderr, "short write (%zd, errno %d)\n", written, errno); return 1; }
            c->due[c->tail++ % QUEUE] = next_due;
            if (now - next_due > 100000) late_sends++;   // the generator itself fell behind by over 0.1 ms
            sent++;
            next_due = start + sent * interval;
        }
        if (now >= end + 1000000000u) break;            // a second for the last answers
        uint64_t wait = next_due > now ? next_due - now : 0;
        if (next_due >= end) wait = 1000000;
        struct timespec timeout = {.tv_sec = 0, .tv_nsec = (long)(wait < 1000000 ? wait : 1000000)};
        int ready = epoll_pwait2(poller, events, 256, &timeout, NULL);
        uint64_t received_at = now_ns();
        for (int e = 0; e < ready; e++) {
            connection *c = &connections[events[e].data.u32];
            ssize_t got = read(c->fd, c->buffer + c->filled, sizeof c->buffer - c->filled);
            if (got <= 0) { fprintf(stderr, "connection closed\n"); return 1; }
            c->filled += (size_t)got;
            char *scan = c->buffer, *limit = c->buffer + c->filled, *head_end;
            while ((head_end = memmem(scan, (size_t)(limit - scan), "\r\n\r\n", 4)) != NULL) {
                uint64_t due = c->due[c->head++ % QUEUE];
                if (due >= measure_from && due < end) record(received_at - due);
                scan = head_end + 4;
            }
            c->filled = (size_t)(limit - scan);
            memmove(c->buffer, scan, c->filled);
        }
    }
    uint64_t unanswered = 0;
    for (int i = 0; i < count; i++) unanswered += connections[i].tail - connections[i].head;
    printf("rate %.0f/s over %.0f s on %d connections: %llu answers measured, %llu unanswered, %llu sends over 0.1 ms late\n",
           rate, seconds, count, (unsigned long long)counted, (unsigned long long)unanswered, (unsigned long long)late_sends);
    printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
           percentile(50), percentile(90), percentile(99), percentile(99.9), (double)max_latency / 1000.0);
    return unanswered == 0 ? 0 : 1;
}
