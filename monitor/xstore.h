/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "protocol.h"

/*
 * dom0's connection to xenstore: the one file of the monitor that speaks
 * libxenstore's conventions. Everything returns >= 0 or -errno. Reads are
 * bounded: a value longer than the caller's bound is refused, never kept.
 */
struct xstore;

int xstore_open(struct xstore **ret);
struct xstore *xstore_close(struct xstore *x);
int xstore_fd(struct xstore *x);
/* xenstore requests sent so far (for the bench and for debugging). */
unsigned long xstore_requests(const struct xstore *x);

/*
 * Reads path. -ENOENT when absent, -E2BIG when the value is longer than max
 * (ret_len then holds its length). On success *ret is NUL-terminated.
 */
int xstore_read(struct xstore *x, const char *path, size_t max, char **ret, size_t *ret_len);
/* The children of path; -ENOENT when absent. Free with free() (one block). */
int xstore_directory(struct xstore *x, const char *path, char ***ret, unsigned *ret_n);
int xstore_exists(struct xstore *x, const char *path);
int xstore_write(struct xstore *x, const char *path, const char *val, size_t len);

int xstore_watch(struct xstore *x, const char *path, const char *token);
int xstore_unwatch(struct xstore *x, const char *path, const char *token);
/*
 * The next pending watch event: 1 and the path and token (one block: free
 * *ret_vec only), 0 when none is pending.
 */
int xstore_next_event(struct xstore *x, char ***ret_vec);

/*
 * Creates ~/control/pvh/request of a domain when missing: empty, owned by the
 * guest, readable by dom0 (as libxl does for control/shutdown). Returns 1 when
 * it created it, 0 when it was there.
 */
int xstore_ensure_request_node(struct xstore *x, unsigned domid);

/*
 * Writes a node the host answers the guest in (key a host key under
 * ~/control/pvh): owned by dom0, readable by the guest, which cannot write
 * an answer of its own.
 */
int xstore_write_answer(struct xstore *x, unsigned domid, enum proto_key key, const char *val, size_t len);

/* The guest domids under /local/domain (dom0 excluded), sorted, at most max. */
int xstore_domains(struct xstore *x, unsigned max, unsigned **ret, unsigned *ret_n);
