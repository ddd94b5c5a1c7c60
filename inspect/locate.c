/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspection.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "util.h"

/* The menus pvhgrub's embedded configuration searches every device for, in this order. */
static const char *const menus[] = { "/boot/grub/grub.cfg", "/grub/grub.cfg" };

static bool is_disk(const char *dev, size_t k)
{
        char name[32];
        size_t l;

        snprintf(name, sizeof(name), "loop%zu", k);
        l = strlen(name);
        return strncmp(dev, name, l) == 0 && (dev[l] == 0 || dev[l] == ',');
}

/*
 * pvhgrub's search order (GRUB 2.06, kern/device.c and kern/disk.c): each
 * disk driver lists its disks, each disk followed by its partitions (which
 * grub_device_iterate calls in the reverse of the table's order, as
 * grub-fstest lists them too); the Xen disks come in the order of the
 * guest's device/vbd, and LVM and RAID volumes only at the rescan pass,
 * after every disk. grub-fstest lists its loop disks newest first: they are
 * put back in the order the disks were given.
 */
static int order_devices(struct inspection *in, char **all, size_t n)
{
        _cleanup_strv_ char **v = NULL;
        size_t k = 0;

        for (size_t d = 0; d < in->fs.n_disks; d++)
                for (size_t i = 0; i < n; i++)
                        if (is_disk(all[i], d) && strv_push_dup(&v, &k, all[i]) < 0)
                                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (startswith(all[i], "loop") || streq(all[i], "host") || streq(all[i], "proc") ||
                    streq(all[i], "memdisk"))
                        continue;
                if (strv_push_dup(&v, &k, all[i]) < 0)
                        return -ENOMEM;
        }
        in->devices = TAKE_PTR(v);
        in->n_devices = k;
        return 0;
}

/* A directory at the root of device i: 1, 0, or < 0. */
static int has_top(struct inspection *in, size_t i, const char *name)
{
        const struct fstest_entry *e;
        int r = inspection_find(in, in->devices[i], "/", name, &e);

        return r <= 0 ? r : e->dir;
}

/* Which devices hold a file system GRUB reads: the ones whose root lists anything. */
static int any_filesystem(struct inspection *in)
{
        bool any = false;

        stage_set("listing the devices");
        for (size_t i = 0; i < in->n_devices; i++) {
                int r = inspection_find(in, in->devices[i], "/", "", NULL);

                if (r < 0)
                        return r;
                any = any || in->listings[in->n_listings - 1].n > 0;
        }
        return any ? 0 : -ENOENT;
}

static char *disk_list(const struct inspection *in)
{
        char *s = strdup("");

        for (size_t i = 0; s && i < in->fs.n_disks; i++) {
                char *n = strdup_printf("%s%s%s", s, i ? ", " : "", in->names[i]);

                free(s);
                s = n;
        }
        return s;
}

/* Copies dir/name of device i into the tree at tree_path when GRUB lists it: 1 copied, 0 not there. */
static int fetch(struct inspection *in, size_t i, const char *dir, const char *name, const char *tree_path)
{
        _cleanup_free_ char *err = NULL, *path = strdup_printf("%s/%s", dir, name);
        _cleanup_free_ char *dev = inspection_device_name(in, in->devices[i]);
        int r;

        if (!dev || !path)
                return -ENOMEM;
        r = inspection_find(in, in->devices[i], dir, name, NULL);
        if (r <= 0)
                return r;
        stage_set("reading %s on %s", path, dev);
        r = fstest_copy(&in->fs, in->devices[i], path, in->tree.incoming, INSPECT_FILE_MAX, &err);
        if (r == -ENOENT || r == -ELOOP || r == -EIO) {
                _cleanup_free_ char *msg = err ? inspection_grub_message(in, err) : NULL;

                inspection_note(in, "%s on %s cannot be read (%s): pvhgrub cannot read it either", path, dev,
                                msg ? msg : "error");
                return 0;
        }
        if (r == -EFBIG)
                return inspection_fail(in, "limit", "%s on %s is larger than %u MiB", path, dev, INSPECT_FILE_MAX >> 20);
        if (r == -ETIMEDOUT)
                return inspection_fail(in, "limit", "reading %s on %s took longer than the time limit", path, dev);
        if (r < 0)
                return r;
        r = strv_push_dup(&in->attempted, &in->n_attempted, tree_path);
        if (r >= 0)
                r = tree_take(&in->tree, tree_path);
        return r < 0 ? r : 1;
}

/* The first device, in search order, from which pvhgrub reads a menu. */
static int find_menu(struct inspection *in)
{
        for (size_t m = 0; m < ELEMENTSOF(menus); m++)
                for (size_t i = 0; i < in->n_devices; i++) {
                        bool boot = streq(menus[m], "/boot/grub/grub.cfg");
                        int r = has_top(in, i, boot ? "boot" : "grub");

                        if (r <= 0) {
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        r = fetch(in, i, boot ? "/boot/grub" : "/grub", "grub.cfg", "/boot/grub/grub.cfg");
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                        in->menu_dev = in->devices[i];
                        in->menu_file = menus[m];
                        return 0;
                }
        return 0;
}

static ssize_t device_index(const struct inspection *in, const char *dev)
{
        for (size_t i = 0; i < in->n_devices; i++)
                if (dev && streq(in->devices[i], dev))
                        return (ssize_t)i;
        return -1;
}

/* The root file system: the menu's own when it has /etc, else the first holding os-release. */
static int find_root(struct inspection *in)
{
        ssize_t m = device_index(in, in->menu_dev);
        int r;

        if (m >= 0 && streq(in->menu_file, "/boot/grub/grub.cfg") && (r = has_top(in, (size_t)m, "etc")) != 0) {
                if (r < 0)
                        return r;
                in->root_dev = in->menu_dev;
                return 0;
        }
        for (size_t i = 0; i < in->n_devices; i++) {
                r = fetch(in, i, "/etc", "os-release", "/etc/os-release");
                if (r == 0)
                        r = fetch(in, i, "/usr/lib", "os-release", "/usr/lib/os-release");
                if (r < 0)
                        return r;
                if (r > 0) {
                        in->root_dev = in->devices[i];
                        return 0;
                }
        }
        return 0;
}

/* Whether /boot (path) of device i holds a boot loader's files. */
static int boot_files(struct inspection *in, size_t i, const char *path)
{
        static const char *const names[] = { "grub", "grub2", "loader" };

        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                const struct fstest_entry *e;
                int r = inspection_find(in, in->devices[i], path, names[k], &e);

                if (r != 0)
                        return r < 0 ? r : e->dir;
        }
        return 0;
}

/* /boot: where the menu is; without one, the root's when it holds boot files, else another file system that does. */
static int find_boot(struct inspection *in)
{
        ssize_t root = device_index(in, in->root_dev);
        int r;

        if (in->menu_dev) {
                in->boot_dev = in->menu_dev;
                in->boot_prefix = streq(in->menu_file, "/grub/grub.cfg") ? "" : "/boot";
                return 0;
        }
        in->boot_dev = in->root_dev;
        in->boot_prefix = "/boot";
        if (root >= 0 && (r = boot_files(in, (size_t)root, "/boot")) != 0)
                return r < 0 ? r : 0;
        for (size_t i = 0; i < in->n_devices; i++) {
                if ((ssize_t)i == root)
                        continue;
                r = boot_files(in, i, "/");
                if (r < 0)
                        return r;
                if (r > 0) {
                        in->boot_dev = in->devices[i];
                        in->boot_prefix = "";
                        return 0;
                }
        }
        return 0;
}

int locate(struct inspection *in)
{
        _cleanup_strv_ char **all = NULL;
        _cleanup_free_ char *disks = disk_list(in);
        size_t n = 0;
        int r;

        if (!disks)
                return -ENOMEM;
        stage_set("listing the devices");
        r = fstest_devices(&in->fs, &all, &n);
        if (r == -ETIMEDOUT)
                return inspection_fail(in, "limit", "listing the devices of %s took longer than the time limit",
                                       disks);
        if (r < 0)
                return inspection_fail(in, "no-device", "GRUB cannot read %s", disks);
        r = order_devices(in, all, n);
        if (r < 0)
                return r;
        r = any_filesystem(in);
        if (r == -ENOENT)
                return inspection_fail(in, "no-filesystem", "no file system GRUB can read on %s", disks);
        if (r < 0)
                return r;
        r = find_menu(in);
        if (r >= 0)
                r = find_root(in);
        if (r < 0)
                return r;
        if (!in->root_dev && !in->menu_dev)
                return inspection_fail(in, "no-root", "no device of %s holds os-release or a menu pvhgrub reads",
                                       disks);
        r = find_boot(in);
        if (r < 0)
                return r;
        log_debug("Menu %s on %s, root %s, /boot %s%s.", strna(in->menu_file), strna(in->menu_dev),
                  strna(in->root_dev), strna(in->boot_dev), in->boot_prefix ? in->boot_prefix : "");
        return 0;
}
