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
 * during the walk). Both give the same answer for every path; procfs magic
 * links are the one difference: openat2 refuses them (-ELOOP), the walk
 * follows their text, inside the root like any other target.
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

/* True when root_fd is this system's own "/" (not a tree under --root). */
bool root_is_host(int root_fd);
/*
 * Opens path inside the root with open(2)'s flags; O_CLOEXEC is added,
 * O_CREAT is refused (-EINVAL: see above). A final symlink is followed
 * inside the root, unless O_NOFOLLOW: then it is -ELOOP, or with O_PATH the
 * link itself.
 */
int root_open(int root_fd, const char *path, int flags);
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
