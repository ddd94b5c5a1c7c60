/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "kvset.h"

/*
 * The agent's side of xenstore: one connection of its own (xenbus.h), and
 * the set of keys last published under a base directory (relative, so it
 * lands in the guest's own /local/domain/N). Publishing writes only what
 * changed and removes what no longer applies, in one transaction.
 */
struct store;

/* Connects (XENSTORED_PATH is honoured, see xenbus_open()). */
int store_open(const char *base, struct store **ret);
struct store *store_close(struct store *s);
/* Readable while watch events are queued. */
int store_fd(struct store *s);
/* The connection: readable when xenstore sent an event or hung up. Poll
 * both for EPOLLIN and call store_next_event() when either is readable. */
int store_conn_fd(struct store *s);

/*
 * Makes the tree under base equal to want, except subtrees named in keep
 * (relative to base, e.g. "answer"), which publishing never touches.
 * On the first call after open it reads what a previous run left behind and
 * removes the keys that no longer apply. Returns the number of nodes written
 * or removed, or -errno (-EPIPE: the connection is gone; reopen).
 */
int store_publish(struct store *s, const struct kvset *want, const char *const *keep);

/*
 * The same for keys outside base that other writers share the parents of
 * (data/, attr/): roots are paths relative to the domain home, each a whole
 * subtree the agent owns ("attr/vif") or a single key ("data/os_name").
 * Makes each root equal to the keys of want under it (relative to the
 * home; a key outside every root is -EINVAL) and never reads, writes or
 * removes a path outside them. The first call reads the roots and removes
 * what they hold that want does not; a call that changes nothing sends
 * nothing. Give the same roots each time.
 */
int store_publish_owned(struct store *s, const char *const *roots, const struct kvset *want);

/* Forgets what was published (both kinds): the next publish re-reads the tree. */
void store_invalidate(struct store *s);

int store_watch(struct store *s, const char *path, const char *token);
/* Next pending watch event: 1 with *ret_event set to {path, token} (one
 * free() releases it), 0 when none is pending, -errno on a lost connection. */
int store_next_event(struct store *s, char ***ret_event);
/*
 * One transaction for a few reads and writes that belong together (taking a
 * request). store_tx_end() returns -EAGAIN when xenstored saw a conflict:
 * the caller starts over. Paths are relative to the domain home.
 */
int store_tx_begin(struct store *s);
int store_tx_read(struct store *s, const char *path, char **ret, unsigned *ret_len);
int store_tx_write(struct store *s, const char *path, const char *value);
int store_tx_remove(struct store *s, const char *path);
int store_tx_list(struct store *s, const char *path, char ***ret, unsigned *ret_n);
int store_tx_end(struct store *s, bool commit);

int store_read(struct store *s, const char *path, char **ret, unsigned *ret_len);
int store_write(struct store *s, const char *path, const char *value);
int store_remove(struct store *s, const char *path);
