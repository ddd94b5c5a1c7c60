/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "fileedit.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "render.h"
#include "strv.h"
#include "trial.h"
#include "util.h"
#include "xlcfg.h"

#define POLL_USEC 200000
#define CONSOLE_KEEP 1024
/* A snapshot may take this share of its origin's size (copy-on-write: only what the copy writes). */
#define SNAP_FRACTION 10
#define SNAP_MIN (64ull << 20)
#define MEMORY_MIN_MIB 256

enum snap_kind {
        SNAP_LVM,
        SNAP_REFLINK,
};

struct snap {
        enum snap_kind kind;
        char *origin; /* the guest's disk */
        char *path;   /* the snapshot, as the copy's configuration names it */
        char *lv;     /* LVM: VG/LV of the snapshot, for lvremove */
        char *vdev;
};

struct trial {
        const struct trial_opts *o;
        const char *name;
        char tname[GUEST_NAME_MAX + sizeof(TRIAL_SUFFIX)];
        char *cfg_path;
        struct snap s[XLCFG_DISKS_MAX];
        size_t n;
        struct mguest cons; /* the copy's console log: its name and the size before the boot */
        struct mdb *d;
        int64_t jid;  /* its journal row, 0 before it has one */
        bool started; /* xl create may have run */
        bool agentless; /* the guest runs no agent: its copy is judged without one */
};

const char *trial_outcome_to_string(enum trial_outcome o)
{
        switch (o) {
        case TRIAL_BOOTED:
                return "booted";
        case TRIAL_FAILED:
                return "failed";
        case TRIAL_REFUSED:
                return "refused";
        }
        return "?";
}

void trial_result_done(struct trial_result *r)
{
        free(r->reason);
        free(r->console);
        *r = (struct trial_result){};
}

static void snap_done(struct snap *s)
{
        free(s->origin);
        free(s->path);
        free(s->lv);
        free(s->vdev);
        *s = (struct snap){};
}

/* An LVM tool, found on PATH as a shell would (spawn runs absolute paths only). */
static char *lvm_tool(const char *name)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *dirs = strdup(path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
        char *save = NULL;

        for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d;
             d = strtok_r(NULL, ":", &save)) {
                char *p = strdup_printf("%s/%s", d, name);

                if (p && d[0] == '/' && access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

/* Runs an LVM tool; its status, its output's tail in *ret_out. */
static int lvm_run(const struct trial_opts *o, char **argv, char **ret_out)
{
        _cleanup_free_ char *tool = lvm_tool(argv[0]);

        if (!tool)
                return asprintf(ret_out, "%s is not installed", argv[0]) < 0 ? -ENOMEM : 127;
        argv[0] = tool;
        return mexec(argv, o->toolstack_timeout_s, ret_out);
}

/* The origin's VG, LV, size and its VG's free bytes, from lvs: 1 when it is a logical volume. */
static int lvm_origin(const struct trial_opts *o, const char *dev, char **ret_vg, char **ret_lv,
                      uint64_t *ret_size, uint64_t *ret_free)
{
        char *argv[] = { (char *)"lvs",
                         (char *)"--noheadings",
                         (char *)"--nosuffix",
                         (char *)"--units",
                         (char *)"b",
                         (char *)"--separator",
                         (char *)":",
                         (char *)"-o",
                         (char *)"vg_name,lv_name,lv_size,vg_free",
                         (char *)dev,
                         NULL };
        _cleanup_free_ char *out = NULL;
        char vg[128], lv[128];
        int r = lvm_run(o, argv, &out);

        if (r < 0 && r != -ETIMEDOUT)
                return r;
        if (r != 0 || !out ||
            sscanf(out, " %127[^:]:%127[^:]:%" SCNu64 ":%" SCNu64, vg, lv, ret_size, ret_free) != 4)
                return 0;
        *ret_vg = strdup(vg);
        *ret_lv = strdup(lv);
        return *ret_vg && *ret_lv ? 1 : -ENOMEM;
}

/* The space a snapshot of an origin of size bytes may take: a tenth, at least SNAP_MIN, at most size. */
static uint64_t snap_room(uint64_t size)
{
        uint64_t want = size / SNAP_FRACTION < SNAP_MIN ? SNAP_MIN : size / SNAP_FRACTION;

        return want > size ? size : want;
}

static char *snap_size_text(uint64_t size)
{
        return strdup_printf("%" PRIu64 "b", (snap_room(size) + 511) / 512 * 512);
}

/* Plans an LVM snapshot: 1 when dev is a logical volume, 0 when not, -EINVAL with *why. */
static int plan_lvm(const struct trial *t, const char *dev, struct snap *s, char **why)
{
        _cleanup_free_ char *vg = NULL, *lv = NULL;
        uint64_t size, free_b, want;
        int r = lvm_origin(t->o, dev, &vg, &lv, &size, &free_b);

        if (r <= 0)
                return r;
        want = snap_room(size);
        if (free_b < want) {
                *why = strdup_printf("%s: volume group %s has %" PRIu64
                                     " bytes free, a snapshot needs %" PRIu64,
                                     dev, vg, free_b, want);
                return -EINVAL;
        }
        s->kind = SNAP_LVM;
        s->lv = strdup_printf("%s/%s%s", vg, lv, TRIAL_SUFFIX);
        s->path = strdup_printf("/dev/%s", s->lv ? s->lv : "");
        return s->lv && s->path ? 1 : -ENOMEM;
}

/* Why a file system cannot hold a reflink copy; NULL when it can. */
static const char *no_reflink(long type)
{
        switch (type) {
        case XFS_SUPER_MAGIC:
        case BTRFS_SUPER_MAGIC:
                return NULL;
        case EXT4_SUPER_MAGIC:
                return "ext2/3/4 has no reflink copies";
        case TMPFS_MAGIC:
                return "tmpfs has no reflink copies";
        case OVERLAYFS_SUPER_MAGIC:
                return "overlayfs has no reflink copies";
        default:
                return "only XFS and Btrfs are known to make reflink copies";
        }
}

static int plan_file(const struct trial *t, const char *file, const struct stat *st, struct snap *s,
                     char **why)
{
        _cleanup_free_ char *dir = strdup(file);
        struct statvfs vfs;
        struct statfs fs;
        const char *no;
        uint64_t avail, want;

        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = 0;
        if (statfs(file, &fs) < 0 || statvfs(*dir ? dir : "/", &vfs) < 0)
                return (*why = strdup_printf("%s: %s", file, strerror(errno))) ? -EINVAL : -ENOMEM;
        no = no_reflink((long)fs.f_type);
        if (no)
                return (*why = strdup_printf("%s: %s (file system 0x%lx)", file, no,
                                             (long)fs.f_type))
                               ? -EINVAL
                               : -ENOMEM;
        avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        /* Reflinks share the blocks; the copy's own writes take room, as a snapshot's do. */
        want = (uint64_t)st->st_size / SNAP_FRACTION > SNAP_MIN ? (uint64_t)st->st_size / SNAP_FRACTION : SNAP_MIN;
        if (avail < want)
                return (*why = strdup_printf("%s: %" PRIu64
                                             " bytes free beside it, a copy needs %" PRIu64,
                                             file, avail, want))
                               ? -EINVAL
                               : -ENOMEM;
        s->kind = SNAP_REFLINK;
        s->path = strdup_printf("%s%s", file, TRIAL_SUFFIX);
        return s->path ? 1 : -ENOMEM;
}

/* How the disk is copied: 0 planned, -EINVAL with *why when it cannot be. */
static int plan_disk(const struct trial *t, const struct xlcfg_disk *d, struct snap *s, char **why)
{
        struct stat st;
        int r;

        s->origin = strdup(d->target);
        s->vdev = strdup(d->vdev);
        if (!s->origin || !s->vdev)
                return -ENOMEM;
        if (!streq(d->format, "raw") || d->target[0] != '/' || strpbrk(d->target, ",'\"\\\n"))
                return (*why = strdup_printf(
                                "disk %s (%s, %s): only raw images and devices are copied", d->vdev,
                                d->target, d->format))
                               ? -EINVAL
                               : -ENOMEM;
        if (lstat(d->target, &st) == 0 && S_ISREG(st.st_mode))
                return plan_file(t, d->target, &st, s, why);
        r = plan_lvm(t, d->target, s, why);
        if (r != 0)
                return r < 0 ? r : 0;
        return (*why = strdup_printf(
                        "disk %s (%s): neither an LVM logical volume nor a regular file", d->vdev,
                        d->target))
                       ? -EINVAL
                       : -ENOMEM;
}

static int snap_make(const struct trial *t, struct snap *s, char **why)
{
        _cleanup_free_ char *out = NULL, *size = NULL, *origin = NULL;
        int r;

        if (s->kind == SNAP_REFLINK) {
                char *argv[] = { (char *)"/bin/cp",
                                 (char *)"--reflink=always",
                                 (char *)"--sparse=auto",
                                 (char *)"--",
                                 s->origin,
                                 s->path,
                                 NULL };

                r = mexec(argv, t->o->toolstack_timeout_s, &out);
        } else {
                char *argv[] = { (char *)"lvcreate", (char *)"-q", (char *)"-s", (char *)"-L", NULL,
                                 (char *)"-n",       NULL,         NULL,         NULL };
                uint64_t sz, fr;
                char *vg = NULL, *lv = NULL;

                r = lvm_origin(t->o, s->origin, &vg, &lv, &sz, &fr);
                if (r > 0) {
                        origin = strdup_printf("%s/%s", vg, lv);
                        size = snap_size_text(sz);
                        argv[4] = size;
                        argv[6] = strrchr(s->lv, '/') + 1;
                        argv[7] = origin;
                }
                free(vg);
                free(lv);
                r = r <= 0 ? -ENODEV : !origin || !size ? -ENOMEM : lvm_run(t->o, argv, &out);
        }
        if (r == 0)
                return 0;
        *why = strdup_printf("snapshot of %s failed (%d): %s", s->origin, r, out ? out : "");
        return r == -ENOMEM ? -ENOMEM : -EINVAL;
}

static const char *snap_kind_to_string(enum snap_kind k)
{
        switch (k) {
        case SNAP_LVM:
                return "lvm";
        case SNAP_REFLINK:
                return "reflink";
        }
        return "?";
}

static bool is_trial_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        return n > STRLEN(TRIAL_SUFFIX) && streq(s + n - STRLEN(TRIAL_SUFFIX), TRIAL_SUFFIX);
}

/* Removes a snapshot the journal names: 0 removed or absent. Only ever one named as ours. */
static int snap_remove(const struct trial_opts *o, const struct mtrial_snap *s)
{
        _cleanup_free_ char *out = NULL;
        int r;

        if (!is_trial_name(s->path) || (streq(s->kind, "lvm") && !is_trial_name(s->lv)))
                return log_error_errno(-EINVAL,
                                       "The journal names '%s', not a trial snapshot: left alone.",
                                       s->path);
        if (streq(s->kind, "reflink")) {
                if (unlink(s->path) < 0 && errno != ENOENT)
                        return log_error_errno(-errno, "Failed to remove the trial copy '%s': %m",
                                               s->path);
                return 0;
        }
        {
                char *argv[] = { (char *)"lvremove", (char *)"-q", (char *)"-f", s->lv, NULL };

                r = lvm_run(o, argv, &out);
        }
        /* Never made, or removed by a cleanup before: lvremove cannot find it. */
        if (r != 0 && (!out || (!strstr(out, "not found") && !strstr(out, "Failed to find"))))
                return log_error_errno(-EIO, "Failed to remove the snapshot %s (%d): %s", s->lv, r,
                                       out ? out : "");
        return 0;
}

static int toolstack(const struct trial_opts *o, const char *verb, const char *arg, char **ret_out)
{
        char *argv[] = { (char *)o->xl, (char *)verb, (char *)arg, NULL };

        return mexec(argv, o->toolstack_timeout_s, ret_out);
}

/* The copy's configuration, written atomically into the run directory. */
static int write_config(struct trial *t, const char *pvh, unsigned memory_mib, char **why)
{
        const char *disks[XLCFG_DISKS_MAX];
        _cleanup_free_ char *text = NULL;
        char uuid[UUID_STR_LEN];
        struct xlcfg_trial tc = { .name = t->tname,
                                  .uuid = uuid,
                                  .memory_mib = memory_mib,
                                  .disks = disks,
                                  .n_disks = t->n };
        char *specs[XLCFG_DISKS_MAX] = {};
        int r = 0;
        uuid_t u;

        uuid_generate_random(u);
        uuid_unparse_lower(u, uuid);
        for (size_t i = 0; i < t->n && r >= 0; i++) {
                specs[i] = strdup_printf("%s,raw,%s,w", t->s[i].path, t->s[i].vdev);
                disks[i] = specs[i];
                r = specs[i] ? 0 : -ENOMEM;
        }
        if (r >= 0)
                r = xlcfg_to_trial(pvh, &tc, &text);
        for (size_t i = 0; i < t->n; i++)
                free(specs[i]);
        if (r == -EINVAL)
                return (*why = strdup("the copy's configuration cannot be written (a value it "
                                      "cannot quote)"))
                               ? -EINVAL
                               : -ENOMEM;
        if (r < 0)
                return r;
        r = fileedit_replace_path(t->cfg_path, text, strlen(text), NULL);
        if (r < 0)
                *why = strdup_printf("cannot write %s: %s", t->cfg_path, strerror(-r));
        return r < 0 ? -EINVAL : 0;
}

/* The guest's configuration as PVH, its disks planned for snapshots, the copy's memory. */
static int plan(struct trial *t, char **ret_pvh, unsigned *ret_mem, char **why)
{
        const struct xlcfg_paths p = { t->o->pvgrub, t->o->pvhgrub };
        _cleanup_free_ char *path = mig_config_path(t->o->config, t->name), *text = NULL,
                            *reason = NULL;
        struct xlcfg_disk *d = NULL;
        enum xlcfg_type type;
        unsigned mem = 0;
        size_t n = 0;
        int r;

        if (!path)
                return -ENOMEM;
        r = xlcfg_load(path, &text, NULL);
        if (r < 0)
                return (*why = strdup_printf("cannot read %s: %s", path, strerror(-r))) ? -EINVAL
                                                                                        : -ENOMEM;
        r = xlcfg_inspect(text, &p, &type, &reason);
        if (r < 0)
                return r;
        if (type != XLCFG_PV || reason)
                return (*why = strdup_printf("%s: %s", path,
                                             reason ? reason : "not a PV configuration"))
                               ? -EINVAL
                               : -ENOMEM;
        r = xlcfg_to_pvh(text, &p, ret_pvh);
        if (r >= 0)
                r = xlcfg_disks(text, &d, &n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (!d[i].cdrom)
                        r = plan_disk(t, &d[i], &t->s[t->n++], why);
        xlcfg_disks_free(d, n);
        if (r >= 0 && t->n == 0)
                r = (*why = strdup_printf("%s names no disk", path)) ? -EINVAL : -ENOMEM;
        if (r >= 0 && xlcfg_memory(text, &mem) >= 0)
                mem = mem / 2 < MEMORY_MIN_MIB ? (mem < MEMORY_MIN_MIB ? mem : MEMORY_MIN_MIB)
                                               : mem / 2;
        *ret_mem = mem;
        return r;
}

/* The end of the copy's console output since its start, escaped; NULL when there is none. */
static char *console_tail(const struct trial *t)
{
        _cleanup_free_ char *path =
                t->o->console_log ? mig_config_path(t->o->console_log, t->tname) : NULL;
        _cleanup_close_ int fd =
                path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) : -1;
        char buf[CONSOLE_KEEP];
        uint64_t from = t->cons.console_known ? t->cons.console_from : 0;
        struct stat st;
        ssize_t n;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size <= from)
                return NULL;
        if ((uint64_t)st.st_size - from > sizeof(buf))
                from = (uint64_t)st.st_size - sizeof(buf);
        n = pread(fd, buf, sizeof(buf), (off_t)from);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        return n > 0 ? render_escape(buf, (size_t)n) : NULL;
}

/*
 * A copy without an agent, as migrate judges such a guest: the toolstack
 * runs it as PVH and its frontends are connected, and then it stays up,
 * the same domain, for the settle time (a crash, a panic or a restart shows
 * meanwhile). 1 booted (*why the reason), 0 not yet (*why what is missing),
 * -1 it was restarted.
 */
static int agentless_booted(struct trial *t, struct xstore *x, const struct mig_settings *ms, unsigned domid,
                            unsigned *settled_domid, uint64_t *settled_since, char **why)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (*settled_since && domid != *settled_domid)
                return -1;
        if (!*settled_since) {
                *why = magentless_missing(x, ms, domid, t->tname, "PVH");
                if (*why)
                        return 0;
                *settled_since = now;
                *settled_domid = domid;
        }
        if (now - *settled_since < (uint64_t)t->o->settle_s * 1000000) {
                *why = strdup_printf("connected, not yet up for %u s", t->o->settle_s);
                return 0;
        }
        *why = strdup_printf("no agent: the toolstack runs it as PVH, its frontends connected, and it stayed "
                             "up %u s", t->o->settle_s);
        return 1;
}

/* Waits for the copy's boot: 1 booted, 0 failed (*why: the reason either way), < 0 our own failure. */
static int wait_boot(struct trial *t, struct xstore *x, char **why)
{
        struct mig_settings ms = { .xl = (char *)t->o->xl,
                                   .toolstack_timeout = t->o->toolstack_timeout_s,
                                   .console_log = (char *)t->o->console_log };
        uint64_t end = now_usec(CLOCK_MONOTONIC) + (uint64_t)t->o->timeout_s * 1000000;
        char type[PROTO_WORD_MAX + 1] = "";
        _cleanup_free_ char *missing = NULL;
        uint64_t settled_since = 0;
        unsigned settled_domid = 0;

        for (;;) {
                const char *down = NULL;
                struct msnap s = {};
                unsigned domid;
                int r;

                if (mguest_find(x, t->tname, &domid) < 0)
                        return (*why = strdup("the domain went away")) ? 0 : -ENOMEM;
                if (t->agentless) {
                        free(missing);
                        missing = NULL;
                        r = agentless_booted(t, x, &ms, domid, &settled_domid, &settled_since, &missing);
                        if (r < 0)
                                return (*why = strdup("it was restarted")) ? 0 : -ENOMEM;
                        if (!missing)
                                return -ENOMEM;
                        if (r > 0) {
                                *why = TAKE_PTR(missing);
                                return 1;
                        }
                } else if (mguest_snapshot(x, domid, &s) >= 0) {
                        snprintf(type, sizeof(type), "%s", s.guest_type);
                        msnap_done(&s);
                }
                if (streq(type, "PVH"))
                        return (*why = strdup("its agent published guest_type PVH")) ? 1 : -ENOMEM;
                r = mtoolstack_shutdown(&ms, t->tname, &down);
                if (r > 0)
                        return (*why = streq(down, "crash")
                                               ? strdup("it crashed")
                                               : strdup_printf("it shut down (%s)", down))
                                       ? 0
                                       : -ENOMEM;
                *why = magentless_console_missing(&ms, &t->cons);
                if (*why)
                        return 0;
                /* A copy that connected in time is given its settle time. */
                if (now_usec(CLOCK_MONOTONIC) >= end && !settled_since)
                        break;
                usleep(POLL_USEC);
        }
        if (t->agentless)
                return (*why = strdup_printf("no PVH boot within %u s (no agent: %s)", t->o->timeout_s,
                                             missing ? missing : "?"))
                               ? 0
                               : -ENOMEM;
        if (*type)
                return (*why = strdup_printf("its agent says it runs as %s after %u s", type,
                                             t->o->timeout_s))
                               ? 0
                               : -ENOMEM;
        return (*why = strdup_printf("no PVH boot within %u s (no agent published guest_type PVH)",
                                     t->o->timeout_s))
                       ? 0
                       : -ENOMEM;
}

#define TRIAL_DESTROY_TRIES 10

/* What a journal row names goes: the copy, its snapshots, its configuration. 0, or < 0 (logged). */
static int undo(const struct trial_opts *o, const struct mtrial_leftover *l)
{
        _cleanup_free_ char *out = NULL;
        int r = 0, k;

        /*
         * The copy stays, shut down, when it reboots, powers off or
         * crashes (on_reboot and the others are "preserve"). A domain
         * already on its way out (destroyed by someone else, or a copy of
         * an older configuration that xl's daemon destroys on its reboot)
         * makes destroy fail ("invalid domain identifier"): it is gone
         * once xl list no longer knows it; asked again for 10 s.
         */
        for (unsigned i = 0; l->created; i++) {
                _cleanup_free_ char *listed = NULL;

                free(out);
                out = NULL;
                k = toolstack(o, "destroy", l->copy, &out);
                if (k == 0 || (out && strstr(out, "not found")))
                        break;
                if (toolstack(o, "list", l->copy, &listed) != 0)
                        break;
                if (i == TRIAL_DESTROY_TRIES) {
                        r = log_error_errno(-EIO, "Failed to destroy the trial domain %s (%d): %s", l->copy, k,
                                            out ? out : "");
                        break;
                }
                sleep(1);
        }
        for (unsigned i = 0; i < l->n_snaps; i++)
                if (snap_remove(o, &l->snaps[i]) < 0)
                        r = -EIO;
        if (l->config && unlink(l->config) < 0 && errno != ENOENT)
                r = log_error_errno(-errno, "Failed to remove '%s': %m", l->config);
        return r;
}

/* Undoes the journal's rows (id 0: all of them); the number undone, or < 0 when something is left. */
static int undo_journal(struct mdb *d, const struct trial_opts *o, int64_t id, bool verbose)
{
        struct mtrial_leftover *v = NULL;
        unsigned n = 0, done = 0;
        int r, k = 0;

        r = mdb_trial_leftovers(d, &v, &n);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                if (id && v[i].id != id)
                        continue;
                r = undo(o, &v[i]);
                if (r >= 0)
                        r = mdb_trial_end(d, v[i].id);
                if (r < 0) {
                        k = r;
                        continue;
                }
                done++;
                if (verbose)
                        log_info("Removed what a trial left: %s%s, %u snapshot(s).", v[i].copy,
                                 v[i].created ? " (the domain, if it ran)" : "", v[i].n_snaps);
        }
        mtrial_leftovers_free(v, n);
        return k < 0 ? k : (int)done;
}

int trial_cleanup(struct mdb *d, const struct trial_opts *o)
{
        return undo_journal(d, o, 0, true);
}

static int fail_with(struct trial_result *ret, enum trial_outcome o, char *why)
{
        ret->outcome = o;
        ret->reason = why;
        return why ? 0 : -ENOMEM;
}

/* Each snapshot into the journal, then made. */
static int snapshots(struct trial *t, char **why)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < t->n; i++) {
                r = mdb_trial_snapshot(t->d, t->jid, snap_kind_to_string(t->s[i].kind),
                                       t->s[i].path, t->s[i].lv);
                if (r >= 0)
                        r = snap_make(t, &t->s[i], why);
        }
        return r;
}

/* Snapshots, the copy's configuration, create, wait: the outcome in ret. */
static int trial_steps(struct trial *t, struct xstore *x, struct trial_result *ret)
{
        _cleanup_free_ char *pvh = NULL, *out = NULL;
        char *why = NULL;
        unsigned mem;
        int r;

        r = plan(t, &pvh, &mem, &why);
        if (r >= 0)
                r = mdb_trial_begin(t->d, t->name, t->tname, t->cfg_path, &t->jid);
        if (r >= 0)
                r = snapshots(t, &why);
        if (r >= 0)
                r = write_config(t, pvh, mem, &why);
        if (r == -EINVAL)
                return fail_with(ret, TRIAL_REFUSED, why);
        if (r < 0)
                return r;
        magentless_console_mark(&(struct mig_settings){ .console_log = (char *)t->o->console_log },
                                &t->cons);
        r = mdb_trial_created(t->d, t->jid);
        if (r < 0)
                return r;
        t->started = true;
        r = toolstack(t->o, "create", t->cfg_path, &out);
        if (r != 0)
                return fail_with(ret, TRIAL_FAILED,
                                 strdup_printf("xl create failed (%d): %s", r, out ? out : ""));
        r = wait_boot(t, x, &why);
        if (r < 0)
                return r;
        ret->outcome = r > 0 ? TRIAL_BOOTED : TRIAL_FAILED;
        ret->reason = why;
        return ret->reason ? 0 : -ENOMEM;
}

static const char *verdict_known(const char *v)
{
        static const char *const words[] = { "ready", "fixable", "blocked" };

        for (size_t i = 0; v && i < ELEMENTSOF(words); i++)
                if (streq(v, words[i]))
                        return words[i];
        return NULL;
}

/*
 * What the guest's verdict predicted before its copy booted: its agent's,
 * else the newest inspection of its disks; unknown when neither says.
 */
static int predicted(struct mdb *d, struct xstore *x, const char *name, const char **ret,
                     bool *ret_agentless)
{
        _cleanup_free_ char *inspected = NULL;
        struct msnap s = {};
        unsigned domid;
        int r;

        *ret = NULL;
        r = mguest_find(x, name, &domid);
        if (r >= 0)
                r = mguest_snapshot(x, domid, &s);
        *ret_agentless = r >= 0 && s.agent == GUEST_AGENT_NONE;
        if (r >= 0 && s.agent == GUEST_AGENT_OK)
                *ret = verdict_known(s.verdict);
        msnap_done(&s);
        if (r == -ENOMEM)
                return r;
        if (!*ret) {
                r = mdb_inspection_verdict(d, name, &inspected);
                if (r < 0)
                        return r;
                *ret = verdict_known(inspected);
        }
        if (!*ret)
                *ret = "unknown";
        return 0;
}

int trial_run(struct mdb *d, struct xstore *x, const struct trial_opts *o, const char *name,
              struct trial_result *ret)
{
        struct trial t = { .o = o, .name = name, .d = d };
        int r, k = 0;

        *ret = (struct trial_result){ .at = (int64_t)time(NULL) };
        if (!mig_name_ok(name))
                return fail_with(ret, TRIAL_REFUSED, strdup("the name is not usable in a path"));
        snprintf(t.tname, sizeof(t.tname), "%s%s", name, TRIAL_SUFFIX);
        t.cons.name = t.tname;
        r = predicted(d, x, name, &ret->predicted, &t.agentless);
        if (r < 0)
                return r;
        t.cfg_path = strdup_printf("%s/%s.cfg", o->run_dir, t.tname);
        r = t.cfg_path ? trial_steps(&t, x, ret) : -ENOMEM;
        if (t.started)
                ret->console = console_tail(&t);
        if (t.jid)
                k = undo_journal(d, o, t.jid, false);
        if (r >= 0 && ret->reason)
                r = mdb_trial_result(d, name, ret->at, trial_outcome_to_string(ret->outcome),
                                     ret->reason, ret->console, ret->predicted);
        for (size_t i = 0; i < XLCFG_DISKS_MAX; i++)
                snap_done(&t.s[i]);
        free(t.cfg_path);
        return r < 0 ? r : k < 0 ? k : 0;
}
