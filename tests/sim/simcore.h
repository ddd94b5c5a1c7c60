/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The state of one simulated Xen host, shared by the hypervisor preload
 * library (inside xenstored), the guest xenbus daemon and the xensim command.
 * Everything lives in one host directory:
 *
 *   DIR/domtab        one byte per domid: enum simcore_state (shared mmap)
 *   DIR/xsd_port      dom0's xenstore event channel port (/proc/xen/xsd_port)
 *   DIR/ring/N        domain N's xenstore ring page (ring/0 is /proc/xen/xsd_kva)
 *   DIR/run/socket    xenstored's socket (XENSTORED_RUNDIR=DIR/run)
 *   DIR/guest/N.sock  guest N's xenbus device, as a unix socket
 *
 * Event channels are unix datagram sockets in the abstract namespace, one per
 * bound port, named after the host directory's device and inode so that
 * several hosts can run side by side.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define SIMCORE_DOMID_MAX 0x7ff0u /* DOMID_FIRST_RESERVED */
#define SIMCORE_GUEST_PORT 1u     /* every guest binds its xenstore channel here */
#define SIMCORE_DOM0_PORT 1u      /* dom0's side of its own ring: nobody serves it */
#define SIMCORE_PAGE_SIZE 4096u

enum simcore_state {
        SIMCORE_NONE = 0,
        SIMCORE_RUNNING,
        SIMCORE_SHUTDOWN,
        SIMCORE_CRASHED,
        SIMCORE_DYING,
        _SIMCORE_STATE_MAX,
};

enum simcore_event_kind {
        SIMCORE_EV_NOTIFY = 1,
        SIMCORE_EV_BIND,  /* sent by bind_interdomain: tells the peer our port */
        SIMCORE_EV_VIRQ,
};

#define SIMCORE_EV_MAGIC 0x58534576u

struct simcore_event {
        uint32_t magic;
        uint32_t kind;
        uint32_t src_dom;
        uint32_t src_port;
};

struct simcore_addr {
        struct sockaddr_un sun;
        socklen_t len;
};

struct simcore_host {
        char *dir;
        char id[48];
        uint8_t *domtab;
};

int simcore_host_open(const char *dir, bool create, struct simcore_host **ret);
void simcore_host_close(struct simcore_host *h);
int simcore_path(const struct simcore_host *h, char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

enum simcore_state simcore_dom_state(const struct simcore_host *h, unsigned domid);
void simcore_dom_set_state(struct simcore_host *h, unsigned domid, enum simcore_state s);
const char *simcore_state_to_string(enum simcore_state s);

int simcore_ring_create(const struct simcore_host *h, unsigned domid);
int simcore_ring_map(const struct simcore_host *h, unsigned domid, void **ret);
int simcore_ring_remove(const struct simcore_host *h, unsigned domid);

void simcore_port_addr(const struct simcore_host *h, unsigned domid, unsigned port,
                       struct simcore_addr *ret);
void simcore_virq_addr(const struct simcore_host *h, unsigned virq, struct simcore_addr *ret);
int simcore_evtchn_bind(const struct simcore_addr *a);
int simcore_evtchn_send(int fd, const struct simcore_addr *to, enum simcore_event_kind kind,
                        unsigned src_dom, unsigned src_port);
int simcore_evtchn_drain(int fd, void (*cb)(const struct simcore_event *ev, void *userdata),
                         void *userdata);
