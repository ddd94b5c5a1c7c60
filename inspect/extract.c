/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "inspection.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "util.h"

#define PASSES_MAX 6

/*
 * The files the checks read whatever the menu says (probe/facts.c,
 * nextboot.c, kconfig.c); in a group, they read the first one there is.
 */
static const char *const fixed_files[][3] = {
        { "/etc/os-release", "/usr/lib/os-release" },
        { "/etc/default/grub" },
        { "/boot/grub/grub.cfg" },
        { "/boot/grub2/grub.cfg" },
        { "/boot/grub/grubenv" },
        { "/boot/grub2/grubenv" },
        { "/boot/grub/menu.lst" },
        { "/boot/grub/grub.conf" },
};
/* The directories whose every file they read. */
static const char *const fixed_dirs[] = {
        "/etc/default/grub.d",
        "/etc/kernel/postinst.d",
        "/boot/loader/entries",
};

static bool is_boot(const char *path)
{
        return streq(path, "/boot") || startswith(path, "/boot/");
}

/* Where a tree path is: the device, and the path on it. */
static int source(const struct inspection *in, const char *path, const char **ret_dev, char **ret_path)
{
        if (is_boot(path) && in->boot_dev) {
                *ret_dev = in->boot_dev;
                *ret_path = strdup_printf("%s%s", in->boot_prefix, path + STRLEN("/boot"));
        } else if (in->root_dev) {
                *ret_dev = in->root_dev;
                *ret_path = strdup(path);
        } else
                return 0;
        if (!*ret_path)
                return -ENOMEM;
        if (!**ret_path && free_and_strdup(ret_path, "/") < 0)
                return -ENOMEM;
        return 1;
}

static bool attempted(const struct inspection *in, const char *path)
{
        for (size_t i = 0; i < in->n_attempted; i++)
                if (streq(in->attempted[i], path))
                        return true;
        return false;
}

/* What GRUB's failure to copy means for this file. */
static int copy_failed(struct inspection *in, int r, const char *path, const char *name, uint64_t max,
                       const char *err, bool required)
{
        switch (r) {
        case -ENOENT:
                return 0;
        case -EFBIG:
                return inspection_fail(in, "limit", "%s on %s is larger than the %" PRIu64
                                       " MiB an inspection reads", path, name, max >> 20);
        case -ETIMEDOUT:
                return inspection_fail(in, "limit", "reading %s on %s took longer than the time limit", path,
                                       name);
        case -ELOOP:
        case -EIO:
                if (required)
                        return inspection_fail(in, "unreadable", "%s on %s cannot be read: %s", path, name,
                                               err ? err : "error");
                return inspection_note(in, "%s on %s not read: %s", path, name, err ? err : "error");
        default:
                return r;
        }
}

/*
 * Copies a file the checks read into the tree, once: 1 when copied, 0 when
 * it is not there or was asked for before. An optional file is copied only
 * when its directory's listing shows it; a required one (the kernel, an
 * initramfs) is tried all the same, so that GRUB says why it cannot be read
 * (a link loop), and that ends the inspection. A file larger than max is
 * refused from its listing, before GRUB reads any of it.
 */
static int want(struct inspection *in, const char *path, uint64_t max, bool required)
{
        _cleanup_free_ char *norm = tree_normalize(path), *at = NULL, *err = NULL, *name = NULL, *dir = NULL;
        const struct fstest_entry *e = NULL;
        const char *dev, *base;
        int r;

        if (!norm && errno == ENOMEM)
                return -ENOMEM;
        if (!norm && required)
                return inspection_fail(in, "unreadable", "the menu names %s, which %s: not read", path,
                                       errno == EXDEV ? "climbs above the root file system" : "is too long or too deep");
        if (!norm)
                return inspection_note(in, "%s is not read: %s", path,
                                       errno == EXDEV ? "it climbs above the root file system" : "too long or too deep");
        if (attempted(in, norm) || tree_has(&in->tree, norm))
                return 0;
        r = strv_push_dup(&in->attempted, &in->n_attempted, norm);
        if (r >= 0)
                r = source(in, norm, &dev, &at);
        if (r <= 0)
                return r;
        base = strrchr(at, '/') + 1;
        dir = base - at > 1 ? strndup(at, (size_t)(base - at - 1)) : strdup("/");
        name = inspection_device_name(in, dev);
        if (!dir || !name)
                return -ENOMEM;
        r = inspection_find(in, dev, dir, base, &e);
        if (r < 0 || (r == 0 && !required))
                return r;
        if (e && e->dir)
                return 0;
        if (e && e->size > max)
                return inspection_fail(in, "limit", "%s on %s is %" PRIu64 " MiB, larger than the %" PRIu64
                                       " MiB an inspection reads", at, name, e->size >> 20, max >> 20);
        stage_set("reading %s on %s", at, name);
        r = fstest_copy(&in->fs, dev, at, in->tree.incoming, max, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = err ? inspection_grub_message(in, err) : NULL;

                return copy_failed(in, r, at, name, max, msg, required);
        }
        r = tree_take(&in->tree, norm);
        if (r == -E2BIG)
                return inspection_fail(in, "limit", "more than %" PRIu64 " MiB or %u files to read in all",
                                       in->tree.bytes_max >> 20, TREE_FILES_MAX);
        if (r < 0)
                return inspection_note(in, "%s on %s not read: %s", at, name, strerror(-r));
        return 1;
}

/* Every file of a directory (at most INSPECT_LIST_MAX). */
static int want_dir(struct inspection *in, const char *dir)
{
        _cleanup_free_ char *at = NULL;
        _cleanup_strv_ char **names = NULL;
        const char *dev;
        size_t n = 0;
        int r = source(in, dir, &dev, &at);

        if (r > 0)
                r = inspection_files(in, dev, at, &names, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dir, names[i]);

                r = p ? want(in, p, INSPECT_FILE_MAX, false) : -ENOMEM;
        }
        return r < 0 ? r : 0;
}

/* The first of paths the tree has or that can be copied (the order the checks read them in). */
static int want_first(struct inspection *in, const char *const *paths, size_t n)
{
        for (size_t i = 0; i < n && paths[i]; i++) {
                _cleanup_free_ char *norm = tree_normalize(paths[i]);
                int r;

                if (norm && tree_has(&in->tree, norm))
                        return 0;
                r = want(in, paths[i], INSPECT_FILE_MAX, false);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int want_fixed(struct inspection *in)
{
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(fixed_files) && r >= 0; i++)
                r = want_first(in, fixed_files[i], ELEMENTSOF(fixed_files[i]));
        for (size_t i = 0; i < ELEMENTSOF(fixed_dirs) && r >= 0; i++)
                r = want_dir(in, fixed_dirs[i]);
        return r < 0 ? r : 0;
}

/* A path from the menu, and, when it is not under /boot, the same under /boot (probe's grub_path_in_root). */
static int want_image(struct inspection *in, const char *path)
{
        _cleanup_free_ char *under_boot = NULL;
        int r = want(in, path, in->image_max, true);

        if (r != 0 || is_boot(path))
                return r;
        under_boot = strdup_printf("/boot%s", path);
        return under_boot ? want(in, under_boot, in->image_max, true) : -ENOMEM;
}

/* The release's configuration and modules.builtin, each from the first place the checks find it. */
static int want_release(struct inspection *in, const char *rel)
{
        static const char *const places[][3][2] = {
                { { "/boot/config-", "" }, { "/lib/modules/", "/config" }, { "/usr/lib/modules/", "/config" } },
                { { "/lib/modules/", "/modules.builtin" }, { "/usr/lib/modules/", "/modules.builtin" } },
        };
        int r = 0;

        if (!rel || strchr(rel, '/') || streq(rel, ".") || streq(rel, ".."))
                return 0;
        for (size_t g = 0; g < ELEMENTSOF(places) && r >= 0; g++) {
                char *paths[3] = {};

                for (size_t i = 0; i < 3 && places[g][i][0]; i++)
                        if (!(paths[i] = strdup_printf("%s%s%s", places[g][i][0], rel, places[g][i][1])))
                                r = -ENOMEM;
                if (r >= 0)
                        r = want_first(in, (const char *const *)paths, 3);
                for (size_t i = 0; i < 3; i++)
                        free(paths[i]);
        }
        return r;
}

/*
 * What the last judgement asked for and the tree lacks: the next-boot kernel
 * first, its initramfs images on the next round (so that a limit reached
 * while judging names the one file being judged), and the release's
 * configuration. Returns how many files were asked for anew.
 */
static int wants(struct inspection *in, const struct facts *f, const char **ret_kernel, const char **ret_initrd)
{
        size_t before = in->n_attempted;
        int r = 0;

        *ret_kernel = *ret_initrd = NULL;
        if (f->nb.kernel_path && !attempted(in, f->nb.kernel_path) && f->kernel_error == -ENOENT) {
                r = want_image(in, f->nb.kernel_path);
                if (r > 0)
                        *ret_kernel = f->nb.kernel_path;
        } else
                for (size_t i = 0; i < f->nb.n_initrd && r >= 0; i++) {
                        if (tree_has(&in->tree, f->nb.initrd_paths[i]))
                                continue;
                        r = want_image(in, f->nb.initrd_paths[i]);
                        if (r > 0 && !*ret_initrd)
                                *ret_initrd = f->nb.initrd_paths[i];
                }
        if (r >= 0)
                r = want_release(in, f->next_release);
        return r < 0 ? r : (int)(in->n_attempted - before);
}

static int judge(struct inspection *in, struct kcache *cache, struct facts *f,
                 struct check_result res[static _PROTO_CHECK_MAX], enum proto_verdict *v)
{
        int r = probe_system(in->tree.root_fd, false, cache, f, res, v);

        if (r == -ENOMEM)
                return inspection_fail(in, "limit", "out of memory under the address space limit");
        if (r < 0)
                return inspection_fail(in, "internal", "the checks failed: %s", strerror(-r));
        return 0;
}

static int write_guest_type(struct inspection *in)
{
        _cleanup_free_ char *line = NULL;

        if (!in->guest_type)
                return 0;
        line = strdup_printf("%s\n", in->guest_type);
        return line ? tree_write(&in->tree, "/sys/hypervisor/guest_type", line) : -ENOMEM;
}

int extract_and_judge(struct inspection *in, struct kvset *ret)
{
        struct kcache *cache = NULL;
        int r = want_fixed(in);

        if (r >= 0)
                r = write_guest_type(in);
        if (r >= 0)
                r = kcache_new(AT_FDCWD, NULL, &cache);
        stage_set("judging the files read");
        for (unsigned pass = 0; r >= 0 && pass < PASSES_MAX; pass++) {
                struct check_result res[_PROTO_CHECK_MAX];
                const char *kernel, *initrd;
                enum proto_verdict v;
                struct facts f;

                r = judge(in, cache, &f, res, &v);
                if (r < 0)
                        break;
                r = wants(in, &f, &kernel, &initrd);
                if (r == 0 || pass + 1 == PASSES_MAX)
                        r = probe_result_keys(ret, &f, res, v);
                else if (kernel)
                        stage_set("decompressing the kernel %s", kernel);
                else if (initrd)
                        stage_set("scanning the initramfs %s", initrd);
                else
                        stage_set("judging the files read");
                checks_done(res);
                facts_done(&f);
                if (ret->n > 0)
                        break;
        }
        kcache_free(cache);
        return r;
}
