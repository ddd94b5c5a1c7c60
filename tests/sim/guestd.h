/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The host's supervisor process: runs xenstored (with the hypervisor preload
 * library) as its child, and serves the guest xenbus side of every simulated
 * domain in one epoll loop. xensim talks to it over DIR/guestd.sock, one
 * line per command: "add DOMID", "del DOMID", "stop"; each answered by "ok"
 * or "error ERRNO".
 */
struct guestd_config {
        const char *dir;         /* the host directory, absolute */
        const char *xenstored;   /* binary */
        const char *preload;     /* libxensim-hv.so */
        char **xenstored_args;   /* extra arguments, NULL-terminated, may be NULL */
        int ready_fd;            /* gets "ok\n" or "error ERRNO\n" once up */
        int verbose;
};

int guestd_run(const struct guestd_config *cfg);
