/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The host's supervisor process: runs xenstored (with the hypervisor preload
 * library) as its child, and serves the guest xenbus side of every simulated
 * domain in one epoll loop. xensim talks to it over DIR/guestd.sock, one
 * line per command: "add DOMID", "del DOMID", "restart", "stop"; each
 * answered by "ok" or "error ERRNO".
 *
 * "restart" kills xenstored (SIGKILL) and starts it again with the same
 * arguments; every guest client's connection is closed, the rings are
 * zeroed, and each domain's toolstack keys are written again before it is
 * introduced again. When xenstored dies by itself, the host stops: a crash
 * of xenstored is a finding, not something to paper over.
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
