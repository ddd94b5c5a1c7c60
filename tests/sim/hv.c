/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxensim-hv: the hypervisor, as far as xenstored can tell.
 *
 * LD_PRELOADed into the real xenstored (run without -D). It defines the
 * libxenctrl, libxenevtchn and libxengnttab calls xenstored imports, on top
 * of the host directory named by $XENSIM_DIR (see simcore.h), and redirects
 * the two /proc/xen opens of dom0_init to files of that directory.
 */
#include "config.h"
/* config.h turns on large-file redirects; "open" must stay "open" here. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "macro.h"
#include "simcore.h"

#define PORTS_MAX 65536u

/* Declared by <fcntl.h> only under _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

struct xc_interface_core {
        struct simcore_host *host;
};

struct xengntdev_handle {
        struct simcore_host *host;
};

struct hv_port {
        int fd;              /* -1: unbound */
        uint32_t remote_dom;
        uint32_t remote_port;
        bool virq;
};

struct xenevtchn_handle {
        struct simcore_host *host;
        int epfd;
        struct hv_port *ports;
        unsigned nports;
        unsigned next_port;
};

static int hv_host_open(struct simcore_host **ret)
{
        const char *dir = getenv("XENSIM_DIR");
        int r;

        if (!dir || !*dir) {
                errno = ENOENT;
                return -1;
        }
        r = simcore_host_open(dir, false, ret);
        if (r < 0) {
                errno = -r;
                return -1;
        }
        return 0;
}

/* ---- libxenctrl ---- */

_public_ xc_interface *xc_interface_open(xentoollog_logger *logger,
                                         xentoollog_logger *dombuild_logger,
                                         unsigned open_flags)
{
        struct xc_interface_core *xch = calloc(1, sizeof(*xch));

        if (!xch)
                return NULL;
        if (hv_host_open(&xch->host) < 0) {
                free(xch);
                return NULL;
        }
        return xch;
}

_public_ int xc_interface_close(xc_interface *xch)
{
        if (xch) {
                simcore_host_close(xch->host);
                free(xch);
        }
        return 0;
}

static void hv_fill_info(unsigned domid, enum simcore_state s, xc_dominfo_t *info)
{
        memset(info, 0, sizeof(*info));
        info->domid = domid;
        info->hvm = domid != 0; /* PVH guests are HVM containers */
        info->hap = info->hvm;
        info->running = s == SIMCORE_RUNNING;
        info->dying = s == SIMCORE_DYING;
        info->shutdown = s == SIMCORE_SHUTDOWN || s == SIMCORE_CRASHED;
        info->crashed = s == SIMCORE_CRASHED;
        info->shutdown_reason = s == SIMCORE_CRASHED ? SHUTDOWN_crash : SHUTDOWN_poweroff;
        info->max_vcpu_id = 0;
        info->nr_online_vcpus = 1;
}

/* Like XEN_SYSCTL_getdomaininfolist: existing domains >= first, ascending. */
_public_ int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms,
                               xc_dominfo_t *info)
{
        unsigned n = 0;

        if (!xch) {
                errno = EINVAL;
                return -1;
        }
        for (unsigned d = first_domid; d < SIMCORE_DOMID_MAX && n < max_doms; d++) {
                enum simcore_state s = simcore_dom_state(xch->host, d);

                if (s != SIMCORE_NONE)
                        hv_fill_info(d, s, &info[n++]);
        }
        return (int)n;
}

/* ---- libxengnttab ---- */

_public_ xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
        struct xengntdev_handle *h = calloc(1, sizeof(*h));

        if (!h)
                return NULL;
        if (hv_host_open(&h->host) < 0) {
                free(h);
                return NULL;
        }
        return h;
}

_public_ int xengnttab_close(xengnttab_handle *xgt)
{
        if (xgt) {
                simcore_host_close(xgt->host);
                free(xgt);
        }
        return 0;
}

_public_ int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
        return 0;
}

/* Only the xenstore page is ever granted: whatever ref, map domid's ring. */
_public_ void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref,
                                       int prot)
{
        void *p;
        int r;

        if (simcore_dom_state(xgt->host, domid) == SIMCORE_NONE) {
                errno = ESRCH;
                return NULL;
        }
        r = simcore_ring_map(xgt->host, domid, &p);
        if (r < 0) {
                errno = -r;
                return NULL;
        }
        return p;
}

_public_ int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
        return munmap(start_address, (size_t)count * SIMCORE_PAGE_SIZE);
}

/* ---- libxenevtchn ---- */

_public_ xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned open_flags)
{
        struct xenevtchn_handle *h = calloc(1, sizeof(*h));

        if (!h)
                return NULL;
        h->next_port = SIMCORE_DOM0_PORT + 1;
        h->epfd = epoll_create1((open_flags & XENEVTCHN_NO_CLOEXEC) ? 0 : EPOLL_CLOEXEC);
        if (h->epfd < 0 || hv_host_open(&h->host) < 0) {
                if (h->epfd >= 0)
                        close(h->epfd);
                free(h);
                return NULL;
        }
        return h;
}

/* Live update hands over an open evtchn fd: not simulated. */
_public_ xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
                                            unsigned open_flags)
{
        errno = ENOSYS;
        return NULL;
}

_public_ int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
        if (port >= xce->nports || xce->ports[port].fd < 0) {
                errno = EINVAL;
                return -1;
        }
        close(xce->ports[port].fd);
        xce->ports[port].fd = -1;
        return 0;
}

_public_ int xenevtchn_close(xenevtchn_handle *xce)
{
        if (!xce)
                return 0;
        for (unsigned p = 0; p < xce->nports; p++)
                if (xce->ports[p].fd >= 0)
                        close(xce->ports[p].fd);
        close(xce->epfd);
        simcore_host_close(xce->host);
        free(xce->ports);
        free(xce);
        return 0;
}

_public_ int xenevtchn_fd(xenevtchn_handle *xce)
{
        return xce->epfd;
}

static int hv_ports_grow(xenevtchn_handle *xce, unsigned port)
{
        unsigned n = xce->nports ? xce->nports : 64;
        struct hv_port *p;

        while (n <= port)
                n *= 2;
        if (n > PORTS_MAX)
                return -ENOSPC;
        p = realloc(xce->ports, n * sizeof(*p));
        if (!p)
                return -ENOMEM;
        for (unsigned i = xce->nports; i < n; i++)
                p[i] = (struct hv_port){ .fd = -1 };
        xce->ports = p;
        xce->nports = n;
        return 0;
}

/* Binds a socket for a new local port: the port address, or the given one for a VIRQ. */
static int hv_port_alloc(xenevtchn_handle *xce, const struct simcore_addr *virq)
{
        for (unsigned tries = 0; tries < PORTS_MAX; tries++) {
                unsigned port = xce->next_port;
                struct simcore_addr a;
                struct epoll_event ev = { .events = EPOLLIN };
                int fd, r;

                xce->next_port = port + 1 < PORTS_MAX ? port + 1 : SIMCORE_DOM0_PORT + 1;
                if (port < xce->nports && xce->ports[port].fd >= 0)
                        continue;
                r = hv_ports_grow(xce, port);
                if (r < 0)
                        return r;
                simcore_port_addr(xce->host, 0, port, &a);
                fd = simcore_evtchn_bind(virq ? virq : &a);
                if (fd == -EADDRINUSE && !virq)
                        continue;
                if (fd < 0)
                        return fd;
                ev.data.u32 = port;
                if (epoll_ctl(xce->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        r = -errno;
                        close(fd);
                        return r;
                }
                xce->ports[port] = (struct hv_port){ .fd = fd, .virq = virq != NULL };
                return (int)port;
        }
        return -ENOSPC;
}

_public_ xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
                                                              uint32_t domid,
                                                              evtchn_port_t remote_port)
{
        struct simcore_addr peer;
        int port;

        port = hv_port_alloc(xce, NULL);
        if (port < 0) {
                errno = -port;
                return -1;
        }
        xce->ports[port].remote_dom = domid;
        xce->ports[port].remote_port = remote_port;
        /* Tell the other end which port it is now connected to. */
        simcore_port_addr(xce->host, domid, remote_port, &peer);
        (void)simcore_evtchn_send(xce->ports[port].fd, &peer, SIMCORE_EV_BIND, 0, port);
        return port;
}

_public_ xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
        struct simcore_addr a;
        int port;

        simcore_virq_addr(xce->host, virq, &a);
        port = hv_port_alloc(xce, &a);
        if (port < 0) {
                errno = -port;
                return -1;
        }
        return port;
}

_public_ int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
        struct hv_port *p;
        struct simcore_addr peer;

        if (port >= xce->nports || xce->ports[port].fd < 0) {
                errno = EINVAL;
                return -1;
        }
        p = &xce->ports[port];
        if (p->virq)
                return 0;
        /* A peer that is gone (or dom0's unserved ring) is not an error for the sender. */
        simcore_port_addr(xce->host, p->remote_dom, p->remote_port, &peer);
        (void)simcore_evtchn_send(p->fd, &peer, SIMCORE_EV_NOTIFY, 0, port);
        return 0;
}

/* xenstored treats -1 as fatal: with nothing pending, report port 0. */
_public_ xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
        struct epoll_event ev;
        int n;

        do
                n = epoll_wait(xce->epfd, &ev, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return 0;
        if (ev.data.u32 < xce->nports && xce->ports[ev.data.u32].fd >= 0)
                (void)simcore_evtchn_drain(xce->ports[ev.data.u32].fd, NULL, NULL);
        return (int)ev.data.u32;
}

_public_ int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
        return 0;
}

/* ---- the two /proc/xen files of dom0_init ---- */

static const char *hv_redirect(const char *path, char *buf, size_t size)
{
        const char *dir = getenv("XENSIM_DIR");
        const char *name;
        int n;

        if (!path || !dir || strncmp(path, "/proc/xen/xsd_", 14) != 0)
                return path;
        if (strcmp(path + 14, "port") == 0)
                name = "xsd_port";
        else if (strcmp(path + 14, "kva") == 0)
                name = "ring/0";
        else
                return path;
        n = snprintf(buf, size, "%s/%s", dir, name);
        return n > 0 && (size_t)n < size ? buf : path;
}

#define REAL(ret, name, ...)                                                   \
        static ret (*real)(__VA_ARGS__);                                       \
        if (!real)                                                             \
                real = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, name);           \
        if (!real) {                                                           \
                errno = ENOSYS;                                                \
                return -1;                                                     \
        }

static mode_t hv_mode(int flags, va_list ap)
{
        return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

_public_ int open(const char *path, int flags, ...)
{
        char buf[4096];
        va_list ap;
        mode_t mode;

        REAL(int, "open", const char *, int, ...);
        va_start(ap, flags);
        mode = hv_mode(flags, ap);
        va_end(ap);
        return real(hv_redirect(path, buf, sizeof(buf)), flags, mode);
}

_public_ int open64(const char *path, int flags, ...)
{
        char buf[4096];
        va_list ap;
        mode_t mode;

        REAL(int, "open64", const char *, int, ...);
        va_start(ap, flags);
        mode = hv_mode(flags, ap);
        va_end(ap);
        return real(hv_redirect(path, buf, sizeof(buf)), flags, mode);
}

_public_ int openat(int dirfd, const char *path, int flags, ...)
{
        char buf[4096];
        va_list ap;
        mode_t mode;

        REAL(int, "openat", int, const char *, int, ...);
        va_start(ap, flags);
        mode = hv_mode(flags, ap);
        va_end(ap);
        return real(dirfd, hv_redirect(path, buf, sizeof(buf)), flags, mode);
}

_public_ int openat64(int dirfd, const char *path, int flags, ...)
{
        char buf[4096];
        va_list ap;
        mode_t mode;

        REAL(int, "openat64", int, const char *, int, ...);
        va_start(ap, flags);
        mode = hv_mode(flags, ap);
        va_end(ap);
        return real(dirfd, hv_redirect(path, buf, sizeof(buf)), flags, mode);
}

/* The _FORTIFY_SOURCE entry points. */
_public_ int __open_2(const char *path, int flags)
{
        char buf[4096];

        REAL(int, "__open_2", const char *, int);
        return real(hv_redirect(path, buf, sizeof(buf)), flags);
}

_public_ int __open64_2(const char *path, int flags)
{
        char buf[4096];

        REAL(int, "__open64_2", const char *, int);
        return real(hv_redirect(path, buf, sizeof(buf)), flags);
}
