/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fstest.h"
#include "macro.h"
#include "spawn.h"
#include "strv.h"
#include "util.h"

#define ARGS_MAX 64
#define LISTING_MAX (256u << 10) /* bytes of a listing kept; a bigger one is cut */
#define DEVICES_MAX 256
#define NAMES_MAX 1024

static char *const no_env[] = { (char *)"LC_ALL=C", NULL };

/* grub-fstest [-n LEN] -c N DISK... CMD ARGS... through spawn_run. */
static int run(const struct fstest *f, uint64_t len, char *const *cmd, struct spawn_result *ret)
{
        char *argv[ARGS_MAX], count[16], length[24];
        size_t n = 0;
        const struct spawn_cmd c = {
                .path = f->prog,
                .argv = argv,
                .envp = no_env,
                .root_fd = -1,
                .timeout_usec = f->timeout_usec,
                .output_max = LISTING_MAX,
        };

        if (f->n_disks + 8 + 4 > ARGS_MAX)
                return -E2BIG;
        argv[n++] = (char *)f->prog;
        if (len) {
                snprintf(length, sizeof(length), "%" PRIu64, len);
                argv[n++] = (char *)"-n";
                argv[n++] = length;
        }
        snprintf(count, sizeof(count), "%zu", f->n_disks);
        argv[n++] = (char *)"-c";
        argv[n++] = count;
        for (size_t i = 0; i < f->n_disks; i++)
                argv[n++] = f->disks[i];
        for (size_t i = 0; cmd[i] && n < ARGS_MAX - 1; i++)
                argv[n++] = cmd[i];
        argv[n] = NULL;
        return spawn_run(&c, ret);
}

/* Splits GRUB's space separated output into words, at most max. */
static int words(const char *out, size_t max, char ***ret, size_t *ret_n)
{
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;

        for (const char *p = out; *p && n < max;) {
                size_t l;

                p += strspn(p, " \t\n");
                l = strcspn(p, " \t\n");
                if (l == 0)
                        break;
                if (strv_push(&v, &n, strndup(p, l)) < 0)
                        return -ENOMEM;
                p += l;
        }
        if (!v && !(v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

int fstest_devices(const struct fstest *f, char ***ret, size_t *ret_n)
{
        char *cmd[] = { (char *)"ls", NULL };
        _cleanup_strv_ char **w = NULL, **v = NULL;
        struct spawn_result res;
        size_t nw = 0, n = 0;
        int r = run(f, 0, cmd, &res);

        if (r < 0)
                return r;
        r = res.timed_out ? -ETIMEDOUT : res.status != 0 ? -EIO : words(res.output, DEVICES_MAX, &w, &nw);
        spawn_result_done(&res);
        if (r < 0)
                return r;
        for (size_t i = 0; i < nw; i++) {
                size_t l = strlen(w[i]);

                if (l < 3 || w[i][0] != '(' || w[i][l - 1] != ')')
                        continue;
                if (strv_push(&v, &n, strndup(w[i] + 1, l - 2)) < 0)
                        return -ENOMEM;
        }
        if (!v && !(v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* "(dev)path" as GRUB takes it. */
static char *grub_path(const char *dev, const char *path)
{
        return strdup_printf("(%s)%s", dev, path);
}

int fstest_list(const struct fstest *f, const char *dev, const char *path, char ***ret, size_t *ret_n)
{
        _cleanup_free_ char *p = grub_path(dev, path);
        char *cmd[] = { (char *)"ls", p, NULL };
        struct spawn_result res;
        int r;

        if (!p)
                return -ENOMEM;
        r = run(f, 0, cmd, &res);
        if (r < 0)
                return r;
        r = res.timed_out ? -ETIMEDOUT : res.status != 0 ? -EIO : words(res.output, NAMES_MAX, ret, ret_n);
        spawn_result_done(&res);
        return r;
}

/* A line of GRUB's ls -l: "SIZE YYYYMMDDhhmmss NAME", or "DIR ..." for directories. */
static bool long_line(const char *line, size_t len, const char *name, uint64_t *ret)
{
        size_t nl = strlen(name);
        char num[24];
        size_t d = strspn(line, "0123456789");

        if (d == 0 || d >= sizeof(num) || len < nl + 1 || memcmp(line + len - nl, name, nl) != 0 ||
            line[len - nl - 1] != ' ')
                return false;
        memcpy(num, line, d);
        num[d] = 0;
        return safe_atou64(num, ret) >= 0;
}

int fstest_size(const struct fstest *f, const char *dev, const char *dir, const char *name, uint64_t *ret)
{
        _cleanup_free_ char *p = grub_path(dev, dir);
        char *cmd[] = { (char *)"ls", (char *)"--", (char *)"-l", p, NULL };
        struct spawn_result res;
        int r;

        if (!p)
                return -ENOMEM;
        r = run(f, 0, cmd, &res);
        if (r < 0)
                return r;
        r = -ENOENT;
        for (const char *l = res.output; !res.timed_out && *l;) {
                size_t len = strcspn(l, "\n");

                if (long_line(l, len, name, ret)) {
                        r = 0;
                        break;
                }
                l += len + (l[len] == '\n');
        }
        spawn_result_done(&res);
        return r;
}

static int copy_error(const char *msg)
{
        if (strstr(msg, "not found"))
                return -ENOENT;
        if (strstr(msg, "nesting of symlinks"))
                return -ELOOP;
        return -EIO;
}

/* GRUB's message on one line, without its "grub-fstest: error: " prefix. */
static char *message(const char *out)
{
        const char *p = strstr(out, "error: ");
        char *m = strdup(p ? p + STRLEN("error: ") : out);

        if (m)
                m[strcspn(m, "\n")] = 0;
        return m;
}

int fstest_copy(const struct fstest *f, const char *dev, const char *path, const char *local, uint64_t max,
                char **ret_error)
{
        _cleanup_free_ char *p = grub_path(dev, path);
        char *cmd[] = { (char *)"cp", p, (char *)local, NULL };
        struct spawn_result res;
        struct stat st;
        int r;

        if (!p)
                return -ENOMEM;
        r = run(f, max + 1, cmd, &res);
        if (r < 0)
                return r;
        if (res.timed_out)
                r = -ETIMEDOUT;
        else if (res.status != 0)
                r = copy_error(res.output);
        else if (stat(local, &st) < 0)
                r = -errno;
        else
                r = (uint64_t)st.st_size > max ? -EFBIG : 0;
        if (r < 0 && ret_error)
                *ret_error = message(res.output);
        spawn_result_done(&res);
        return r;
}
