/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * The files read from a guest's disks, laid out as the guest's root tree in
 * a private directory for the readiness checks: only directories and
 * regular files this program creates, each path component checked before
 * it is created, nothing ever followed, with a bound on the bytes and
 * files in all. grub-fstest copies each file into "incoming", from where
 * it is moved into the tree.
 */
#define TREE_PATH_MAX 1024
#define TREE_DEPTH_MAX 24
#define TREE_FILES_MAX 2048

struct tree {
        char *dir;          /* the work directory */
        char *incoming;     /* the file grub-fstest writes to */
        int root_fd;        /* the tree, for probe_system() */
        int dir_fd;
        uint64_t bytes, bytes_max;
        unsigned files;
};

int tree_open(const char *parent, uint64_t bytes_max, struct tree *ret);
/* Removes everything this program created, then the work directory. */
void tree_close(struct tree *t);
/*
 * A guest path as a path in the tree: absolute, without empty, "." and ".."
 * components, at most TREE_PATH_MAX bytes and TREE_DEPTH_MAX components.
 * NULL when it is not acceptable, with errno set: EXDEV for a ".." that
 * would climb above the root.
 */
char *tree_normalize(const char *path);
/* Moves the incoming file to path (normalized): -EEXIST when the tree has it, -E2BIG beyond the bounds. */
int tree_take(struct tree *t, const char *path);
/* Writes a small file of our own at path (normalized). */
int tree_write(struct tree *t, const char *path, const char *content);
/* Whether the tree holds path (normalized), without following anything. */
bool tree_has(const struct tree *t, const char *path);
