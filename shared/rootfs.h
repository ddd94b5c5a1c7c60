/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Every file the agent reads goes through the root directory fd given by
 * --root. Paths are taken as absolute inside that root; symlinks resolve
 * inside it too (openat2 RESOLVE_IN_ROOT where the kernel has it).
 */
#define ROOT_FILE_MAX (16u << 20)

/* True when root_fd is this system's own "/" (not a tree under --root). */
bool root_is_host(int root_fd);
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
