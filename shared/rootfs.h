/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Confined access to a tree: every file the agent reads or changes is named
 * by a path taken inside the directory root_fd (the --root tree, or the
 * system's own "/"), and resolved as if that directory were "/". An absolute
 * symlink starts again at root_fd, ".." at root_fd stays there: no path and
 * no symlink in the tree reaches a file outside it. These are openat2()'s
 * RESOLVE_IN_ROOT rules. Where the kernel has no openat2 (Linux before 5.6)
 * or refuses it (ENOSYS or EPERM from a seccomp filter), the same rules are
 * applied here, one component at a time: each opened O_PATH|O_NOFOLLOW and
 * looked at with fstat, a symlink's target read from that very fd and put in
 * front of the rest of the path, ".." back to the directory the walk came
 * from (-EAGAIN when that is no longer its parent: something was renamed
 * during the walk). It needs O_PATH, fstat() of an O_PATH fd and
 * readlinkat() of "": Linux 3.6 and later. Both give the same answer for
 * every path; procfs magic links are the one difference: openat2 refuses
 * them (-ELOOP), the walk follows their text, inside the root like any
 * other target.
 *
 * Paths: absolute or relative, both from root_fd; "" is -ENOENT; at most
 * PATH_MAX - 1 bytes and names of at most NAME_MAX (-ENAMETOOLONG); at most
 * ROOT_SYMLINKS_MAX symlinks followed (-ELOOP), as the kernel; a trailing
 * slash asks for a directory and follows a final symlink.
 *
 * To create, remove or rename something under the root, root_open() its
 * parent directory, then make the *at() call on the last component, which
 * never follows a symlink there (mkdirat, unlinkat, renameat, symlinkat,
 * openat with O_NOFOLLOW): shared/fileedit.h does so. Never hand the kernel
 * a path of several components under root_fd: it would follow symlinks out.
 */
#define ROOT_SYMLINKS_MAX 40
#define ROOT_FILE_MAX (16u << 20)

/*
 * Opening a file for its bytes (root_open() without O_PATH or O_DIRECTORY,
 * root_read_file(), root_map(), root_open_regular_at()) opens only a
 * regular file. Anything else is refused before it is opened: a FIFO would
 * block open() forever, a device would be opened with whatever that does
 * (in dom0, on dom0's own devices), a socket cannot be. The error is -EISDIR
 * for a directory and -ENXIO for the rest, which root_strerror() calls "not
 * a regular file". The file is opened O_NONBLOCK (cleared again unless the
 * caller asked for it) and must then still be the file that was looked at
 * (-EAGAIN when it was replaced in between).
 */

/* True when root_fd is this system's own "/" (not a tree under --root). */
bool root_is_host(int root_fd);
/*
 * Opens path inside the root with open(2)'s flags; O_CLOEXEC is added,
 * O_CREAT is refused (-EINVAL: see above). A final symlink is followed
 * inside the root, unless O_NOFOLLOW: then it is -ELOOP, or with O_PATH the
 * link itself. A directory is opened with O_DIRECTORY (or O_PATH); without,
 * it is -EISDIR, as anything but a regular file (see above).
 */
int root_open(int root_fd, const char *path, int flags);
/*
 * The same for a file that is no guest's tree's (--cache), or a last name
 * under a directory root_open() found: path is resolved by the kernel as it
 * is, not confined; O_NOFOLLOW is honoured.
 */
int root_open_regular_at(int dir_fd, const char *path, int flags);
/* strerror() of -err, but "not a regular file" for -ENXIO (see above). */
const char *root_strerror(int err);
int root_read_file(int root_fd, const char *path, size_t max, char **ret, size_t *ret_len);
int root_stat(int root_fd, const char *path, struct stat *ret);
bool root_is_reg(int root_fd, const char *path);
bool root_is_dir(int root_fd, const char *path);
int root_list_dir(int root_fd, const char *path, char ***ret, size_t *ret_n);

struct mapped {
        const uint8_t *data;
        size_t len;
        struct stat st;
};

int root_map(int root_fd, const char *path, struct mapped *ret);
void mapped_done(struct mapped *m);

/*
 * Files that exist under the root but could not be read, "PATH: REASON"
 * each, once: what a report says it had to leave out.
 */
struct root_unreadable {
        char **v;
        size_t n;
};

/* Notes path and why (err), unless err is 0, -ENOMEM or says it is absent (-ENOENT, -ENOTDIR). */
int root_unreadable_add(struct root_unreadable *u, const char *path, int err);
void root_unreadable_done(struct root_unreadable *u);
