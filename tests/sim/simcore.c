/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "simcore.h"

static int ensure_dir(const char *path)
{
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int simcore_path(const struct simcore_host *h, char *buf, size_t size, const char *fmt, ...)
{
        size_t n = strlen(h->dir);
        va_list ap;
        int r;

        if (n + 2 > size)
                return -ENAMETOOLONG;
        memcpy(buf, h->dir, n);
        buf[n++] = '/';
        va_start(ap, fmt);
        r = vsnprintf(buf + n, size - n, fmt, ap);
        va_end(ap);
        if (r < 0 || (size_t)r >= size - n)
                return -ENAMETOOLONG;
        return 0;
}

static int write_file(const struct simcore_host *h, const char *name, const void *data, size_t len)
{
        _cleanup_close_ int fd = -1;
        char path[4096];
        int r;

        r = simcore_path(h, path, sizeof(path), "%s", name);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (write(fd, data, len) != (ssize_t)len)
                return -EIO;
        return 0;
}

static int host_create_files(const struct simcore_host *h)
{
        static const char *const dirs[] = { "ring", "guest", "run" };
        char path[4096], port[16];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                r = simcore_path(h, path, sizeof(path), "%s", dirs[i]);
                if (r < 0)
                        return r;
                r = ensure_dir(path);
                if (r < 0)
                        return r;
        }
        snprintf(port, sizeof(port), "%u\n", SIMCORE_DOM0_PORT);
        r = write_file(h, "xsd_port", port, strlen(port));
        if (r < 0)
                return r;
        return simcore_ring_create(h, 0);
}

static int domtab_map(struct simcore_host *h, bool create)
{
        _cleanup_close_ int fd = -1;
        char path[4096];
        void *p;
        int r;

        r = simcore_path(h, path, sizeof(path), "domtab");
        if (r < 0)
                return r;
        fd = open(path, (create ? O_CREAT : 0) | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (create && ftruncate(fd, SIMCORE_DOMID_MAX) < 0)
                return -errno;
        p = mmap(NULL, SIMCORE_DOMID_MAX, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        h->domtab = p;
        return 0;
}

int simcore_host_open(const char *dir, bool create, struct simcore_host **ret)
{
        struct simcore_host *h;
        struct stat st;
        int r;

        if (create && ensure_dir(dir) < 0)
                return -errno;
        if (stat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->dir = realpath(dir, NULL);
        if (!h->dir) {
                r = -errno;
                goto fail;
        }
        snprintf(h->id, sizeof(h->id), "%llx.%llx", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        r = create ? host_create_files(h) : 0;
        if (r >= 0)
                r = domtab_map(h, create);
        if (r < 0)
                goto fail;
        *ret = h;
        return 0;
fail:
        simcore_host_close(h);
        return r;
}

void simcore_host_close(struct simcore_host *h)
{
        if (!h)
                return;
        if (h->domtab)
                munmap(h->domtab, SIMCORE_DOMID_MAX);
        free(h->dir);
        free(h);
}

enum simcore_state simcore_dom_state(const struct simcore_host *h, unsigned domid)
{
        uint8_t s;

        if (domid >= SIMCORE_DOMID_MAX)
                return SIMCORE_NONE;
        s = __atomic_load_n(&h->domtab[domid], __ATOMIC_ACQUIRE);
        return s < _SIMCORE_STATE_MAX ? (enum simcore_state)s : SIMCORE_NONE;
}

void simcore_dom_set_state(struct simcore_host *h, unsigned domid, enum simcore_state s)
{
        if (domid < SIMCORE_DOMID_MAX)
                __atomic_store_n(&h->domtab[domid], (uint8_t)s, __ATOMIC_RELEASE);
}

const char *simcore_state_to_string(enum simcore_state s)
{
        switch (s) {
        case SIMCORE_NONE:
                return "none";
        case SIMCORE_RUNNING:
                return "running";
        case SIMCORE_SHUTDOWN:
                return "shutdown";
        case SIMCORE_CRASHED:
                return "crashed";
        case SIMCORE_DYING:
                return "dying";
        case _SIMCORE_STATE_MAX:
                break;
        }
        return "invalid";
}

int simcore_ring_create(const struct simcore_host *h, unsigned domid)
{
        static const uint8_t zero[SIMCORE_PAGE_SIZE];
        char name[32];

        snprintf(name, sizeof(name), "ring/%u", domid);
        return write_file(h, name, zero, sizeof(zero));
}

int simcore_ring_map(const struct simcore_host *h, unsigned domid, void **ret)
{
        _cleanup_close_ int fd = -1;
        char path[4096];
        void *p;
        int r;

        r = simcore_path(h, path, sizeof(path), "ring/%u", domid);
        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        p = mmap(NULL, SIMCORE_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret = p;
        return 0;
}

int simcore_ring_remove(const struct simcore_host *h, unsigned domid)
{
        char path[4096];
        int r;

        r = simcore_path(h, path, sizeof(path), "ring/%u", domid);
        if (r < 0)
                return r;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static void abstract_addr(struct simcore_addr *a, const char *id, const char *what)
{
        int n;

        memset(a, 0, sizeof(*a));
        a->sun.sun_family = AF_UNIX;
        /* Abstract namespace: no files to clean up, and no sun_path length worries. */
        n = snprintf(a->sun.sun_path + 1, sizeof(a->sun.sun_path) - 1, "xensim/%s/%s", id, what);
        a->len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

void simcore_port_addr(const struct simcore_host *h, unsigned domid, unsigned port,
                       struct simcore_addr *ret)
{
        char what[32];

        snprintf(what, sizeof(what), "port/%u.%u", domid, port);
        abstract_addr(ret, h->id, what);
}

void simcore_virq_addr(const struct simcore_host *h, unsigned virq, struct simcore_addr *ret)
{
        char what[32];

        snprintf(what, sizeof(what), "virq/%u", virq);
        abstract_addr(ret, h->id, what);
}

int simcore_evtchn_bind(const struct simcore_addr *a)
{
        int fd;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *)&a->sun, a->len) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/*
 * Like a real event channel, a notification carries no data and repeated
 * ones may merge: when the peer's queue is full it already has a wake-up
 * pending, so dropping this one loses nothing.
 */
int simcore_evtchn_send(int fd, const struct simcore_addr *to, enum simcore_event_kind kind,
                        unsigned src_dom, unsigned src_port)
{
        struct simcore_event ev = {
                .magic = SIMCORE_EV_MAGIC,
                .kind = kind,
                .src_dom = src_dom,
                .src_port = src_port,
        };

        if (sendto(fd, &ev, sizeof(ev), MSG_DONTWAIT | MSG_NOSIGNAL,
                   (const struct sockaddr *)&to->sun, to->len) == sizeof(ev))
                return 0;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
        return -errno;
}

/* Reads every queued notification; returns how many there were. */
int simcore_evtchn_drain(int fd, void (*cb)(const struct simcore_event *ev, void *userdata),
                         void *userdata)
{
        struct simcore_event ev;
        int n = 0;

        for (;;) {
                ssize_t l = recv(fd, &ev, sizeof(ev), MSG_DONTWAIT);

                if (l < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return n;
                        return -errno;
                }
                if (l != sizeof(ev) || ev.magic != SIMCORE_EV_MAGIC)
                        continue;
                n++;
                if (cb)
                        cb(&ev, userdata);
        }
}
