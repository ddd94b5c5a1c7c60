/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "kimage.h"

/*
 * Results of inspecting kernel images and initramfs archives, keyed by
 * (device, inode, size, mtime): an unchanged file is never decompressed
 * twice. In memory, optionally loaded from and saved to a file.
 */
struct kcache;

/* file: NULL (memory only), or its path relative to dir_fd (AT_FDCWD: the working directory). */
int kcache_new(int dir_fd, const char *file, struct kcache **ret);
void kcache_free(struct kcache *c);
int kcache_save(struct kcache *c);

bool kcache_get_kimage(const struct kcache *c, const struct stat *st, struct kimage_info *ret);
int kcache_put_kimage(struct kcache *c, const struct stat *st, const struct kimage_info *info);
/* Initramfs scans: 1 found, 0 not found, < 0 the error the scan hit. */
bool kcache_get_initrd(const struct kcache *c, const struct stat *st, int *ret);
int kcache_put_initrd(struct kcache *c, const struct stat *st, int result);
