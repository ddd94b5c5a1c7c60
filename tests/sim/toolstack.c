/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "macro.h"
#include "toolstack.h"
#include "util.h"

#define RELEASE_WAIT_MS 30000 /* a bound against hanging, never a measurement */
#define RELEASE_POLL_MS 1000

int toolstack_open(const struct simcore_host *h, struct xs_handle **ret)
{
        char path[4096];
        struct xs_handle *xs;
        int r;

        r = simcore_path(h, path, sizeof(path), "run/socket");
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0)
                return -ENOTCONN;
        if (setenv("XENSTORED_PATH", path, 1) < 0)
                return -errno;
        xs = xs_open(XS_OPEN_SOCKETONLY);
        if (!xs)
                return -errno;
        *ret = xs;
        return 0;
}

struct tx {
        struct xs_handle *xs;
        xs_transaction_t t;
        char dom[32];
        int r;
};

static void tx_check(struct tx *tx, bool ok)
{
        if (!ok && tx->r == 0)
                tx->r = errno ? -errno : -EIO;
}

static void tx_mknod(struct tx *tx, const char *path, struct xs_permissions *perms, unsigned n)
{
        tx_check(tx, xs_mkdir(tx->xs, tx->t, path));
        tx_check(tx, xs_set_permissions(tx->xs, tx->t, path, perms, n));
}

static void tx_write(struct tx *tx, const char *path, const char *val)
{
        tx_check(tx, xs_write(tx->xs, tx->t, path, val, strlen(val)));
}

static void tx_rm(struct tx *tx, const char *path)
{
        if (!xs_rm(tx->xs, tx->t, path) && errno != ENOENT)
                tx_check(tx, false);
}

/* "%s" below is the domain path; printf-like helpers would hide the layout. */
static const char *const dom_ro[] = { "cpu", "memory", "device", "control" };
static const char *const dom_rw[] = {
        "control/shutdown", "control/feature-poweroff", "control/feature-reboot",
        "control/feature-suspend", "control/sysrq", "device/suspend/event-channel",
        "data", "drivers", "feature", "attr", "error",
};

static void tx_children(struct tx *tx, const char *const *names, size_t n,
                        struct xs_permissions *perms, unsigned nperms)
{
        char path[256];

        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/%s", tx->dom, names[i]);
                tx_mknod(tx, path, perms, nperms);
        }
}

static void tx_values(struct tx *tx, const char *const (*kv)[2], size_t n)
{
        char path[256];

        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/%s", tx->dom, kv[i][0]);
                tx_write(tx, path, kv[i][1]);
        }
}

/* As libxl__domain_make and libxl__build_post lay a PVH domain out. */
static void tx_domain(struct tx *tx, unsigned domid, const char *name, const char *uuid)
{
        struct xs_permissions noperm[] = { { .id = 0, .perms = XS_PERM_NONE } };
        struct xs_permissions roperm[] = { { .id = 0, .perms = XS_PERM_NONE },
                                           { .id = domid, .perms = XS_PERM_READ } };
        struct xs_permissions rwperm[] = { { .id = domid, .perms = XS_PERM_NONE } };
        char vm[64], libxl[64], path[256], id[16];
        const char *const values[][2] = {
                { "control/platform-feature-multiprocessor-suspend", "1" },
                { "control/platform-feature-xs_reset_watches", "1" },
                { "domid", id },
                { "memory/static-max", "1048576" },
                { "memory/target", "1048576" },
                { "cpu/0/availability", "online" },
                { "store/port", "1" },
                { "store/ring-ref", "1" },
        };

        snprintf(id, sizeof(id), "%u", domid);
        snprintf(vm, sizeof(vm), "/vm/%s", uuid);
        snprintf(libxl, sizeof(libxl), "/libxl/%u", domid);
        tx_rm(tx, tx->dom);
        tx_mknod(tx, tx->dom, roperm, ELEMENTSOF(roperm));
        tx_rm(tx, vm);
        tx_mknod(tx, vm, roperm, ELEMENTSOF(roperm));
        tx_rm(tx, libxl);
        tx_mknod(tx, libxl, noperm, ELEMENTSOF(noperm));
        snprintf(path, sizeof(path), "%s/device", libxl);
        tx_mknod(tx, path, noperm, ELEMENTSOF(noperm));
        snprintf(path, sizeof(path), "%s/vm", tx->dom);
        tx_write(tx, path, vm);
        snprintf(path, sizeof(path), "%s/name", tx->dom);
        tx_write(tx, path, name);
        tx_children(tx, dom_ro, ELEMENTSOF(dom_ro), roperm, ELEMENTSOF(roperm));
        tx_children(tx, dom_rw, ELEMENTSOF(dom_rw), rwperm, ELEMENTSOF(rwperm));
        snprintf(path, sizeof(path), "%s/uuid", vm);
        tx_write(tx, path, uuid);
        snprintf(path, sizeof(path), "%s/name", vm);
        tx_write(tx, path, name);
        snprintf(path, sizeof(path), "%s/type", libxl);
        tx_write(tx, path, "pvh");
        tx_values(tx, values, ELEMENTSOF(values));
}

int toolstack_write_domain(struct xs_handle *xs, unsigned domid, const char *name,
                           const char *uuid)
{
        for (int attempt = 0; attempt < 100; attempt++) {
                struct tx tx = { .xs = xs };

                snprintf(tx.dom, sizeof(tx.dom), "/local/domain/%u", domid);
                tx.t = xs_transaction_start(xs);
                if (tx.t == XBT_NULL)
                        return -errno;
                tx_domain(&tx, domid, name, uuid);
                if (tx.r < 0) {
                        (void)xs_transaction_end(xs, tx.t, true);
                        return tx.r;
                }
                if (xs_transaction_end(xs, tx.t, false))
                        return 0;
                if (errno != EAGAIN)
                        return -errno;
        }
        return -EAGAIN;
}

/*
 * What the toolstack remembers of a domain outside xenstore (libxl keeps it
 * in its own files and the hypervisor): DIR/domain/N holds "NAME\nUUID\n".
 */
static int record_path(const struct simcore_host *h, unsigned domid, char *buf, size_t size)
{
        int r = simcore_path(h, buf, size, "domain");

        if (r < 0)
                return r;
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -errno;
        return simcore_path(h, buf, size, "domain/%u", domid);
}

int toolstack_record_new(const struct simcore_host *h, unsigned domid, const char *name, const char *uuid,
                         struct toolstack_record *ret)
{
        char path[4096], buf[sizeof(ret->name) + sizeof(ret->uuid) + 2];
        _cleanup_close_ int fd = -1;
        uuid_t u;
        int r;

        if (strlen(name) >= sizeof(ret->name) || strchr(name, '\n'))
                return -EINVAL;
        strcpy(ret->name, name);
        if (uuid && uuid_parse(uuid, u) < 0)
                return -EINVAL;
        if (!uuid)
                uuid_generate(u);
        uuid_unparse_lower(u, ret->uuid);
        r = record_path(h, domid, path, sizeof(path));
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        snprintf(buf, sizeof(buf), "%s\n%s\n", ret->name, ret->uuid);
        return write_all(fd, buf, strlen(buf));
}

int toolstack_record_load(const struct simcore_host *h, unsigned domid,
                          struct toolstack_record *ret)
{
        char path[4096], buf[sizeof(ret->name) + sizeof(ret->uuid) + 2];
        _cleanup_close_ int fd = -1;
        char *nl, *uuid;
        ssize_t n;
        int r;

        r = record_path(h, domid, path, sizeof(path));
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        nl = strchr(buf, '\n');
        if (!nl)
                return -EBADMSG;
        *nl = 0;
        uuid = nl + 1;
        uuid[strcspn(uuid, "\n")] = 0;
        if (strlen(buf) >= sizeof(ret->name) || strlen(uuid) != UUID_STR_LEN - 1)
                return -EBADMSG;
        strcpy(ret->name, buf);
        strcpy(ret->uuid, uuid);
        return 0;
}

int toolstack_record_remove(const struct simcore_host *h, unsigned domid)
{
        char path[4096];
        int r;

        r = record_path(h, domid, path, sizeof(path));
        if (r < 0)
                return r;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* As libxl's domain destruction: the domain's directory, its /vm and /libxl entries. */
int toolstack_remove_domain(struct xs_handle *xs, unsigned domid)
{
        char path[64];
        _cleanup_free_ char *vm = NULL;
        unsigned len;

        snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
        vm = xs_read(xs, XBT_NULL, path, &len);
        if (vm && startswith(vm, "/vm/") && !xs_rm(xs, XBT_NULL, vm) && errno != ENOENT)
                return -errno;
        snprintf(path, sizeof(path), "/libxl/%u", domid);
        if (!xs_rm(xs, XBT_NULL, path) && errno != ENOENT)
                return -errno;
        snprintf(path, sizeof(path), "/local/domain/%u", domid);
        if (!xs_rm(xs, XBT_NULL, path) && errno != ENOENT)
                return -errno;
        return 0;
}

int toolstack_raise_dom_exc(const struct simcore_host *h)
{
        struct simcore_addr a;
        _cleanup_close_ int fd = -1;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        simcore_virq_addr(h, TOOLSTACK_VIRQ_DOM_EXC, &a);
        return simcore_evtchn_send(fd, &a, SIMCORE_EV_VIRQ, 0, 0);
}

static int wait_watch_event(struct xs_handle *xs, int timeout_ms)
{
        struct pollfd p = { .fd = xs_fileno(xs), .events = POLLIN };
        char **ev;
        int r;

        for (;;) {
                ev = xs_check_watch(xs);
                if (ev) {
                        free(ev);
                        return 0;
                }
                if (errno != EAGAIN)
                        return -errno;
                r = poll(&p, 1, timeout_ms);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
        }
}

/*
 * Raises VIRQ_DOM_EXC and waits for xenstored to act on it: one
 * @releaseDomain, and with until_gone, until it no longer knows the domain.
 */
int toolstack_wait_release(struct xs_handle *xs, const struct simcore_host *h, unsigned domid,
                           bool until_gone)
{
        int r;

        if (xs_fileno(xs) < 0 || !xs_watch(xs, "@releaseDomain", "xensim"))
                return -errno;
        r = wait_watch_event(xs, RELEASE_WAIT_MS); /* the event every new watch gets */
        if (r >= 0)
                r = toolstack_raise_dom_exc(h);
        for (int waited = 0; r >= 0;) {
                r = wait_watch_event(xs, RELEASE_POLL_MS);
                /*
                 * Nothing for a second: the interrupt again, as the hypervisor
                 * raises it for each domain that dies. Several destroys at
                 * once (a parallel migration) share the watch's events, and
                 * the domain may be gone already.
                 */
                if (r == -ETIMEDOUT && waited < RELEASE_WAIT_MS) {
                        waited += RELEASE_POLL_MS;
                        if (until_gone && !xs_is_domain_introduced(xs, domid)) {
                                r = 0;
                                break;
                        }
                        r = toolstack_raise_dom_exc(h);
                        continue;
                }
                if (r < 0 || !until_gone || !xs_is_domain_introduced(xs, domid))
                        break;
        }
        (void)xs_unwatch(xs, "@releaseDomain", "xensim");
        return r;
}
