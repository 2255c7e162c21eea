// The edge's view of libmaxminddb (Debian's libmaxminddb-dev, found through
// pkg-config): its header, and the one lookup the edge makes, written in C
// so that it runs on the worker threads without allocating.
#ifndef CMAXMINDDB_SHIM_H
#define CMAXMINDDB_SHIM_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <maxminddb.h>

static inline int clickline_is_country_code(const MMDB_entry_data_s *data) {
    return data->has_data && data->type == MMDB_DATA_TYPE_UTF8_STRING && data->data_size == 2;
}

// The country of an address (`length` 4 or 16 bytes in network order) as
// two upper-case ASCII letters, the first in the high byte: the entry's
// `country`, else its `registered_country`; 0 when the database knows
// neither. MMDB_aget_value with fixed paths, because MMDB_get_value
// allocates the path it is given; the lookup itself reads the mapped file.
static inline uint16_t clickline_country(const MMDB_s *db, const uint8_t *bytes, int length) {
    static const char *const country[] = {"country", "iso_code", NULL};
    static const char *const registered[] = {"registered_country", "iso_code", NULL};
    struct sockaddr_in6 address6;
    struct sockaddr_in address4;
    const struct sockaddr *address;
    if (length == 4) {
        memset(&address4, 0, sizeof address4);
        address4.sin_family = AF_INET;
        memcpy(&address4.sin_addr, bytes, 4);
        address = (const struct sockaddr *)&address4;
    } else if (length == 16) {
        memset(&address6, 0, sizeof address6);
        address6.sin6_family = AF_INET6;
        memcpy(&address6.sin6_addr, bytes, 16);
        address = (const struct sockaddr *)&address6;
    } else {
        return 0;
    }
    int error = MMDB_SUCCESS;
    MMDB_lookup_result_s result = MMDB_lookup_sockaddr(db, address, &error);
    if (error != MMDB_SUCCESS || !result.found_entry) return 0;
    MMDB_entry_data_s data;
    if (!(MMDB_aget_value(&result.entry, &data, country) == MMDB_SUCCESS && clickline_is_country_code(&data)) &&
        !(MMDB_aget_value(&result.entry, &data, registered) == MMDB_SUCCESS && clickline_is_country_code(&data))) {
        return 0;
    }
    return (uint16_t)((data.utf8_string[0] & ~0x20) << 8 | (data.utf8_string[1] & ~0x20));
}

// An anonymous in-memory file (memfd_create, close-on-exec), or -1. The
// database is copied into one before it is opened: libmaxminddb maps the
// file it opens, and a file written over in place would change (or, cut
// short, fault) under the edge's lookups.
static inline int clickline_memory_file(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
}

// The status of one lookup (of 1.1.1.1): a file whose metadata reads but
// whose search tree is cut short or damaged fails it.
static inline int clickline_probe(const MMDB_s *db) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(0x01010101);
    int error = MMDB_SUCCESS;
    (void)MMDB_lookup_sockaddr(db, (const struct sockaddr *)&address, &error);
    return error;
}

#endif
