/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * Crash-safe file changes inside one directory fd. A file is replaced by
 * writing a temporary file beside it, fsync, rename over the old one, fsync
 * of the directory: at any instant the name holds either the old or the new
 * bytes. The temporary name is fixed per file (.pvh-agent.NAME.tmp), so a
 * leftover from a crash is found and removed by fileedit_clean().
 */

struct file_meta {
        mode_t mode;              /* permission bits, 07777 */
        uid_t uid;
        gid_t gid;
        struct timespec atime, mtime;
        bool has_times;
};

/*
 * The directory holding the last component of an absolute path inside the
 * root, found by root_open() (symlinks resolved inside the root); *ret_base
 * points at that component in path (not "." or ".."), for the *at() calls
 * below, none of which follows a symlink there.
 */
int fileedit_open_parent(int root_fd, const char *path, const char **ret_base);
/*
 * The bytes and metadata of a regular file; -ENOENT when absent, -ELOOP for
 * a symlink, -ENXIO for a FIFO, a device or a socket (never opened: rootfs.h).
 */
int fileedit_read(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len,
                  struct file_meta *ret_meta);
int fileedit_replace(int dir_fd, const char *name, const void *data, size_t len, const struct file_meta *meta);
/* fileedit_replace() of the file at path, relative to at_fd or absolute (the kernel resolves it). */
int fileedit_replace_at(int at_fd, const char *path, const void *data, size_t len, const struct file_meta *meta);
/* fileedit_replace() of the file at path, absolute or relative to the working directory. */
int fileedit_replace_path(const char *path, const void *data, size_t len, const struct file_meta *meta);
/* Makes name a symbolic link to target, atomically (a link beside it, renamed over it), durably. */
int fileedit_symlink(int dir_fd, const char *name, const char *target);
/* The target of the symbolic link name: -ENOENT when absent, -EINVAL when not a link. */
int fileedit_readlink(int dir_fd, const char *name, char **ret);
/* Removes name (absent is fine) and makes the removal durable. */
int fileedit_remove(int dir_fd, const char *name);
/* Removes the temporary file a crash may have left beside name. */
int fileedit_clean(int dir_fd, const char *name);
int fileedit_fsync_dir(int dir_fd);
/* Removes the empty directory name (absent is fine) and makes the removal durable. */
int fileedit_rmdir(int dir_fd, const char *name);
/*
 * Makes every missing directory of path inside the root (the last one with
 * mode, the others 0755), each with mkdirat() in its parent as root_open()
 * finds it (symlinks resolved inside the root), each durably; no "." or ".."
 * components.
 */
int fileedit_mkdir_p(int root_fd, const char *path, mode_t mode);
/* Removes a directory tree under dir_fd (our own state only: no symlinks followed). */
int fileedit_rm_rf(int dir_fd, const char *name);
