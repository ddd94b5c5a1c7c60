/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The guest kernel's xenbus device for one simulated domain: it owns the
 * domain's ring page and event channel and serves DIR/guest/N.sock, where
 * any number of clients speak the xenstore wire protocol as they would to
 * /dev/xen/xenbus. Like Linux's xenbus_dev_frontend it multiplexes the
 * clients onto the one ring: request ids are rewritten to the domain's own
 * counter, watch tokens get a client prefix, transactions are tracked per
 * client, and what a client leaves behind (watches, transactions) is undone
 * when it disconnects.
 */
#include <stdint.h>

#include "simcore.h"

struct proxy_dom;

/* Every fd registered on the loop's epoll set points at one of these. */
struct proxy_watcher {
        int fd;
        void (*handler)(struct proxy_watcher *w, uint32_t events);
};

int proxy_dom_new(struct simcore_host *host, int epfd, unsigned domid, struct proxy_dom **ret);
/* Call once xenstored has been told about the domain (XS_INTRODUCE): starts serving clients. */
int proxy_dom_start(struct proxy_dom *d);
/*
 * xenstored is gone: every client's connection is closed (it reads end of
 * file), requests in flight are forgotten, the ring page is zeroed and the
 * socket stops accepting, though it keeps listening.
 */
void proxy_dom_reset(struct proxy_dom *d);
/* Call once the new xenstored has been told about the domain: serves clients again. */
int proxy_dom_resume(struct proxy_dom *d);
void proxy_dom_free(struct proxy_dom *d);
unsigned proxy_dom_nclients(const struct proxy_dom *d);
