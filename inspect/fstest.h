/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * GRUB's own file system drivers, as grub-fstest runs them in user space:
 * the very code pvhgrub reads a guest's disks with (partition tables, LVM,
 * ext2/3/4, XFS, Btrfs ...). Each call runs grub-fstest once on every disk
 * (GRUB names the disks loop0, loop1 ... in the order given) through the
 * process runner, without a shell; it opens the disks read-only.
 */
struct fstest {
        const char *prog;          /* grub-fstest */
        char **disks;              /* the images or devices, in the guest's order */
        size_t n_disks;
        uint64_t timeout_usec;     /* for each call */
};

/* The devices GRUB sees, in its device iteration order, without parentheses ("loop0,msdos1"). */
int fstest_devices(const struct fstest *f, char ***ret, size_t *ret_n);
struct fstest_entry {
        char *name;
        uint64_t size;
        bool dir;
};

/*
 * The entries of directory path of device dev that GRUB can open, from its
 * long listing (links are followed; one GRUB cannot follow, a loop or a
 * dangling link, is not shown), at most max; none when the directory
 * cannot be read.
 */
int fstest_listing(const struct fstest *f, const char *dev, const char *path, size_t max,
                   struct fstest_entry **ret, size_t *ret_n);
void fstest_entries_free(struct fstest_entry *e, size_t n);
/*
 * Copies path of device dev into the local file local, at most max bytes
 * plus one: -EFBIG when the file is larger than max, -ENOENT when GRUB does
 * not find it, -ELOOP for a symlink loop, -EIO for GRUB's other errors,
 * -ETIMEDOUT; *ret_error (may be NULL) then holds GRUB's message.
 */
int fstest_copy(const struct fstest *f, const char *dev, const char *path, const char *local, uint64_t max,
                char **ret_error);
