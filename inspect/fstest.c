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

static bool endswith_slash(const char *s)
{
        return *s && s[strlen(s) - 1] == '/';
}

/* "(dev)path" as GRUB takes it. */
static char *grub_path(const char *dev, const char *path)
{
        return strdup_printf("(%s)%s", dev, path);
}

/*
 * A line of GRUB's ls -l (grub-core/commands/ls.c): the size, or "DIR",
 * padded to 12 columns, then " YYYYMMDDhhmmss " when the file system keeps
 * times, then the name, with a '/' after a directory's.
 */
static int parse_entry(const char *line, size_t len, struct fstest_entry *ret)
{
        char num[24];
        size_t t = strcspn(line, " "), i;
        bool dir = t == 3 && memcmp(line, "DIR", 3) == 0;
        uint64_t size = 0;

        if (t >= len || (!dir && (t == 0 || t >= sizeof(num) || strspn(line, "0123456789") != t)))
                return -EINVAL;
        if (!dir) {
                memcpy(num, line, t);
                num[t] = 0;
                if (safe_atou64(num, &size) < 0)
                        return -EINVAL;
        }
        i = t + strspn(line + t, " ");
        if (len - i > 15 && strspn(line + i, "0123456789") == 14 && line[i + 14] == ' ')
                i += 15;
        if (dir && len > i && line[len - 1] == '/')
                len--;
        if (len <= i)
                return -EINVAL;
        *ret = (struct fstest_entry){ .name = strndup(line + i, len - i), .size = size, .dir = dir };
        return ret->name ? 0 : -ENOMEM;
}

int fstest_listing(const struct fstest *f, const char *dev, const char *path, size_t max,
                   struct fstest_entry **ret, size_t *ret_n)
{
        _cleanup_free_ char *p = strdup_printf("(%s)%s%s", dev, path, endswith_slash(path) ? "" : "/");
        char *cmd[] = { (char *)"ls", (char *)"--", (char *)"-l", p, NULL };
        struct fstest_entry *v = NULL;
        struct spawn_result res;
        size_t n = 0;
        int r;

        if (!p)
                return -ENOMEM;
        r = run(f, 0, cmd, &res);
        if (r < 0)
                return r;
        r = res.timed_out ? -ETIMEDOUT : 0;
        v = calloc(max ? max : 1, sizeof(*v));
        if (!v)
                r = -ENOMEM;
        for (const char *l = res.output; r >= 0 && *l && n < max;) {
                size_t len = strcspn(l, "\n");

                if (len > 0) {
                        r = parse_entry(l, len, &v[n]);
                        if (r >= 0)
                                n++;
                        else if (r == -EINVAL)
                                r = 0;
                }
                l += len + (l[len] == '\n');
        }
        spawn_result_done(&res);
        if (r < 0) {
                fstest_entries_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void fstest_entries_free(struct fstest_entry *e, size_t n)
{
        for (size_t i = 0; e && i < n; i++)
                free(e[i].name);
        free(e);
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
