/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * One connection to xenstore speaking its wire protocol (xen/io/xs_wire.h,
 * docs/misc/xenstore.txt): a guest's /dev/xen/xenbus, or xenstored's socket.
 * Requests are answered in order; watch events that arrive before a reply
 * are queued, and event_fd is readable while any is. No thread of its own,
 * and its descriptors are ours to poll.
 */
struct xenbus;

/*
 * $XENSTORED_PATH when it is set (a socket or a device), else xenstored's
 * socket when it is there (dom0), else /dev/xen/xenbus, else /proc/xen/xenbus.
 */
int xenbus_open(struct xenbus **ret);
struct xenbus *xenbus_close(struct xenbus *x);

/* Readable when xenstore sent something or hung up: call xenbus_next_event(). */
int xenbus_fd(const struct xenbus *x);
/* Readable while watch events are queued. */
int xenbus_event_fd(const struct xenbus *x);

/*
 * Sends one request of TYPE in transaction TX (0: none) with the payload
 * parts concatenated, and waits for its reply: 0 and the reply in *ret
 * (NUL-terminated, its length without the NUL in *ret_len) when ret is not
 * NULL; -errno from xenstore's error reply; -EPIPE, -ETIMEDOUT or -EPROTO
 * when the connection is lost, after which every call fails with -EPIPE.
 */
int xenbus_request(struct xenbus *x, uint32_t type, uint32_t tx, const struct iovec *parts,
                   size_t n_parts, char **ret, unsigned *ret_len);

/*
 * The next watch event, queued or arriving now without waiting: 1 with
 * *ret_event = { path, token } (one free() releases it), 0 when there is
 * none, -errno when the connection is lost.
 */
int xenbus_next_event(struct xenbus *x, char ***ret_event);
