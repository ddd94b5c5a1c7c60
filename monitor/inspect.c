/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "spawn.h"
#include "strv.h"
#include "util.h"
#include "xlcfg.h"

#define INSPECTOR_IN_SANDBOX "/run/inspect/pvh-inspect"
#define DISKS_MAX 16
/* The wall clock an inspection may take: its CPU time, grub-fstest's, and waiting on a busy host. */
#define WALL_S(cpu) ((cpu) * 4 + 60)
#define NAME_MAX_ 32
/*
 * Processes (threads) the inspector may start: grub-fstest and the
 * decompressors. RLIMIT_NPROC counts every process of the user, so the
 * limit is this beyond what the user runs already: when it is shared
 * (nobody), its other processes do not use up the inspector's share.
 */
#define INSPECT_TASKS 32
#define INSPECT_TASKS_MAX 65536

void inspect_disks_free(struct inspect_disk *d, size_t n)
{
        for (size_t i = 0; d && i < n; i++) {
                free(d[i].vdev);
                free(d[i].path);
        }
        free(d);
}

/* A disk name as the report shows it: [a-z0-9] only. */
static bool vdev_ok(const char *v)
{
        return v && *v && strlen(v) < NAME_MAX_ && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(v);
}

int inspect_disks_from_config(const char *path, struct inspect_disk **ret, size_t *ret_n, char **ret_why)
{
        _cleanup_free_ char *text = NULL;
        struct xlcfg_disk *xd = NULL;
        struct inspect_disk *d;
        size_t n = 0, k = 0;
        int r;

        r = xlcfg_load(path, &text, NULL);
        if (r < 0)
                return asprintf(ret_why, "cannot read %s: %s", path, strerror(-r)) < 0 ? -ENOMEM : 0;
        r = xlcfg_disks(text, &xd, &n);
        if (r < 0)
                return r;
        d = calloc(n ? n : 1, sizeof(*d));
        for (size_t i = 0; d && i < n; i++) {
                if (xd[i].cdrom)
                        continue;
                if (!streq(xd[i].format, "raw") || !vdev_ok(xd[i].vdev) || xd[i].target[0] != '/') {
                        r = asprintf(ret_why, "%s: disk %s (%s, %s) is not a raw image or device GRUB can read",
                                     path, xd[i].vdev, xd[i].target, xd[i].format) < 0 ? -ENOMEM : 0;
                        inspect_disks_free(d, k);
                        xlcfg_disks_free(xd, n);
                        return r;
                }
                d[k].vdev = strdup(xd[i].vdev);
                d[k].path = strdup(xd[i].target);
                if (!d[k].vdev || !d[k++].path)
                        r = -ENOMEM;
        }
        xlcfg_disks_free(xd, n);
        if (!d || r < 0) {
                inspect_disks_free(d, k);
                return -ENOMEM;
        }
        if (k == 0 && asprintf(ret_why, "%s names no disk", path) < 0)
                r = -ENOMEM;
        *ret = d;
        *ret_n = k;
        return r;
}

/* One value of dom0's tree; NULL when absent or not a single line. */
static char *backend_value(struct xstore *x, const char *dir, const char *key)
{
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, key);
        char *v = NULL;
        size_t len;

        if (!path || xstore_read(x, path, 1024, &v, &len) < 0)
                return NULL;
        if (memchr(v, 0, len) || strchr(v, '\n')) {
                free(v);
                return NULL;
        }
        return v;
}

/*
 * The block backends libxl wrote in dom0's own tree (the guest cannot write
 * there): backend/vbd/DOMID/DEVID/{params,dev,device-type}; qdisk backends
 * the same way.
 */
int inspect_disks_from_xenstore(struct xstore *x, unsigned domid, struct inspect_disk **ret, size_t *ret_n,
                                char **ret_why)
{
        static const char *const kinds[] = { "vbd", "qdisk" };
        struct inspect_disk *d = calloc(DISKS_MAX, sizeof(*d));
        size_t k = 0;
        int r = 0;

        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(kinds) && r >= 0; i++) {
                _cleanup_free_ char **ids = NULL;
                char base[96];
                unsigned n = 0;

                snprintf(base, sizeof(base), "/local/domain/0/backend/%s/%u", kinds[i], domid);
                r = xstore_directory(x, base, &ids, &n);
                if (r == -ENOENT || r == -EACCES) {
                        r = 0;
                        continue;
                }
                for (unsigned j = 0; r >= 0 && j < n && k < DISKS_MAX; j++) {
                        _cleanup_free_ char *dir = strdup_printf("%s/%s", base, ids[j]), *type = NULL;

                        if (!dir)
                                return -ENOMEM;
                        type = backend_value(x, dir, "device-type");
                        if (type && streq(type, "cdrom"))
                                continue;
                        d[k].path = backend_value(x, dir, "params");
                        d[k].vdev = backend_value(x, dir, "dev");
                        if (!d[k].path || d[k].path[0] != '/' || !vdev_ok(d[k].vdev)) {
                                free(d[k].path);
                                free(d[k].vdev);
                                d[k] = (struct inspect_disk){};
                                continue;
                        }
                        k++;
                }
        }
        if (r >= 0 && k == 0 && asprintf(ret_why, "domain %u has no disk backend in xenstore", domid) < 0)
                r = -ENOMEM;
        if (r < 0) {
                inspect_disks_free(d, k);
                return r;
        }
        *ret = d;
        *ret_n = k;
        return 0;
}

char *inspect_disks_text(const struct inspect_disk *d, size_t n)
{
        char *s = strdup("");

        for (size_t i = 0; s && i < n; i++) {
                char *t = strdup_printf("%s%s%s=%s", s, i ? " " : "", d[i].vdev, d[i].path);

                free(s);
                s = t;
        }
        return s;
}

void inspect_result_done(struct inspect_result *r)
{
        free(r->report);
        free(r->failure);
        *r = (struct inspect_result){};
}

const char *inspect_domain_type(struct xstore *x, unsigned domid)
{
        _cleanup_free_ char *v = NULL;
        char path[64];
        size_t len;

        snprintf(path, sizeof(path), "/libxl/%u/type", domid);
        if (xstore_read(x, path, 16, &v, &len) < 0)
                return NULL;
        if (streq(v, "pv"))
                return "PV";
        if (streq(v, "pvh"))
                return "PVH";
        if (streq(v, "hvm"))
                return "HVM";
        return NULL;
}

/* The sandbox's identity: the package's user, else nobody. */
static int sandbox_user(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
        const struct passwd *pw = getpwnam(name ? name : INSPECT_USER);

        if (!pw && !name)
                pw = getpwnam("nobody");
        if (!pw)
                return log_error_errno(-ESRCH, "No user '%s' to run the inspector as.", name ? name : "nobody");
        if (pw->pw_uid == 0)
                return log_error_errno(-EPERM, "The inspector never runs as root ('%s').", pw->pw_name);
        *ret_uid = pw->pw_uid;
        *ret_gid = pw->pw_gid;
        return 0;
}

/* Why the inspector did not report, from how it ended; NULL when it did. */
static char *ended(const struct spawn_result *res, unsigned cpu_s, unsigned wall_s)
{
        char *why = NULL;

        if (res->exec_errno)
                return asprintf(&why, "the inspector could not start (%s): %s", res->exec_step,
                                strerror(res->exec_errno)) < 0 ? NULL : why;
        if (res->timed_out)
                return asprintf(&why, "the inspection took longer than %u s and was stopped", wall_s) < 0 ? NULL : why;
        if (res->omitted)
                return strdup("the inspector's report is longer than the protocol allows");
        if (res->status == 128 + SIGKILL || res->status == 128 + SIGXCPU)
                return asprintf(&why, "the inspector was killed (signal %d): its CPU time limit is %u s, its "
                                "address space %llu MiB", res->status - 128, cpu_s, INSPECT_AS_MAX >> 20) < 0 ? NULL : why;
        if (res->status > 128)
                return asprintf(&why, "the inspector died of signal %d", res->status - 128) < 0 ? NULL : why;
        if (res->status != 0 && res->status != 1)
                return asprintf(&why, "the inspector failed (exit status %d)", res->status) < 0 ? NULL : why;
        return NULL;
}

int inspect_run(const struct inspect_opts *o, const char *guest_type, const struct inspect_disk *d, size_t n,
                struct inspect_result *ret)
{
        unsigned cpu = o->cpu_s ? o->cpu_s : INSPECT_CPU_DEFAULT;
        struct spawn_rlimit limits[] = {
                { RLIMIT_NPROC, INSPECT_TASKS, INSPECT_TASKS }, /* first: set below */
                { RLIMIT_CPU, cpu, cpu + 2 },
                { RLIMIT_FSIZE, INSPECT_FSIZE_MAX, INSPECT_FSIZE_MAX },
                { RLIMIT_NOFILE, 64, 64 },
                { RLIMIT_CORE, 0, 0 },
#ifndef __SANITIZE_ADDRESS__
                /* AddressSanitizer's shadow memory does not fit in it: test builds only. */
                { RLIMIT_AS, INSPECT_AS_MAX, INSPECT_AS_MAX },
#endif
        };
        char *env[] = { (char *)"PATH=/usr/bin:/bin", (char *)"LC_ALL=C",
#ifdef __SANITIZE_ADDRESS__
                        (char *)"ASAN_OPTIONS=detect_leaks=0",
#endif
                        NULL };
        char *argv[DISKS_MAX + 16], timeout[16], total[24], root_dir[] = "/tmp/pvh-monitor-inspect.XXXXXX";
        struct spawn_grant grants[DISKS_MAX + 1];
        char targets[DISKS_MAX][24];
        _cleanup_strv_ char **disk_args = NULL;
        struct spawn_sandbox sb = {
                .namespaces = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID,
                .root_dir = root_dir,
                .tmp_size = INSPECT_TMP_MAX,
                .grants = grants,
                .n_grants = n + 1,
                .rlimits = limits,
                .n_rlimits = ELEMENTSOF(limits),
                .no_new_privs = true,
#ifdef __SANITIZE_ADDRESS__
                .proc = true, /* the sanitizer's runtime reads /proc/self */
#endif
        };
        struct spawn_cmd c = {
                .path = INSPECTOR_IN_SANDBOX,
                .argv = argv,
                .envp = env,
                .root_fd = -1,
                .timeout_usec = (uint64_t)WALL_S(cpu) * 1000000,
                .output_max = PROTO_REPORT_MAX,
                .sandbox = &sb,
        };
        struct spawn_result res;
        size_t a = 0, nd = 0;
        int r;

        if (n == 0 || n > DISKS_MAX)
                return -EINVAL;
        *ret = (struct inspect_result){};
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                int e = stat(d[i].path, &st) < 0 ? errno : 0;

                if (e || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
                        return asprintf(&ret->failure, "cannot read disk %s (%s): %s", d[i].vdev, d[i].path,
                                        e ? strerror(e) : "not an image file or a block device") < 0
                                       ? -ENOMEM
                                       : 0;
        }
        r = sandbox_user(o->user, &sb.uid, &sb.gid);
        if (r < 0)
                return asprintf(&ret->failure, "no user to run the inspector as") < 0 ? -ENOMEM : 0;
        limits[0].soft = spawn_user_tasks(sb.uid) + INSPECT_TASKS;
        limits[0].soft = limits[0].hard = limits[0].soft < INSPECT_TASKS_MAX ? limits[0].soft : INSPECT_TASKS_MAX;
        grants[0] = (struct spawn_grant){ .source = o->inspector, .target = INSPECTOR_IN_SANDBOX };
        argv[a++] = (char *)INSPECTOR_IN_SANDBOX;
        if (guest_type) {
                argv[a++] = (char *)"--guest-type";
                argv[a++] = (char *)guest_type;
        }
        snprintf(timeout, sizeof(timeout), "%u", cpu * 2);
        snprintf(total, sizeof(total), "%llu", INSPECT_COPY_MAX);
        argv[a++] = (char *)"--timeout";
        argv[a++] = timeout;
        argv[a++] = (char *)"--total-max";
        argv[a++] = total;
        argv[a++] = (char *)"--work";
        argv[a++] = (char *)"/tmp";
        for (size_t i = 0; i < n; i++) {
                snprintf(targets[i], sizeof(targets[i]), "/disk/%zu", i);
                grants[i + 1] = (struct spawn_grant){ .source = d[i].path, .target = targets[i], .owned = true };
                if (strv_push(&disk_args, &nd, strdup_printf("%s=%s", d[i].vdev, targets[i])) < 0)
                        return -ENOMEM;
                argv[a++] = disk_args[i];
        }
        argv[a] = NULL;
        if (!mkdtemp(root_dir))
                return log_error_errno(-errno, "Failed to make the sandbox's mount point: %m");
        r = spawn_run(&c, &res);
        rmdir(root_dir);
        if (r == -ENOMEM)
                return r;
        /* No sandbox for these disks (an image on a file system without idmapped mounts...): this guest fails. */
        if (r < 0)
                return asprintf(&ret->failure, "the inspector's sandbox could not be set up: %s", strerror(-r)) < 0
                               ? -ENOMEM
                               : 0;
        *ret = (struct inspect_result){ .failure = ended(&res, cpu, WALL_S(cpu)), .len = res.output_len };
        ret->report = TAKE_PTR(res.output);
        spawn_result_done(&res);
        return 0;
}

int inspect_guest(struct xstore *x, struct db *d, const struct inspect_opts *o, const char *config, struct guest *g)
{
        _cleanup_free_ char *why = NULL, *text = NULL;
        struct inspect_result res = {};
        struct inspect_disk *disks = NULL;
        int64_t now = (int64_t)time(NULL);
        size_t n = 0;
        int r;

        r = config ? inspect_disks_from_config(config, &disks, &n, &why)
                   : inspect_disks_from_xenstore(x, g->domid, &disks, &n, &why);
        if (r < 0)
                return r;
        text = inspect_disks_text(disks, n);
        if (!text) {
                inspect_disks_free(disks, n);
                return -ENOMEM;
        }
        if (n > 0)
                r = inspect_run(o, inspect_domain_type(x, g->domid), disks, n, &res);
        inspect_disks_free(disks, n);
        if (r < 0)
                return r;
        if (n == 0)
                res.failure = TAKE_PTR(why);
        g->agent = GUEST_AGENT_NONE;
        r = guest_apply_report(g, res.report, res.len, now, text, res.failure);
        if (r >= 0 && guest_get_name(g))
                r = db_inspection_put(d, guest_get_name(g), g->domid, now, text, guest_verdict_word(g),
                                      res.failure, res.report);
        if (r >= 0)
                r = db_commit(d);
        inspect_result_done(&res);
        return r;
}
