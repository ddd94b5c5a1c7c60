/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

int safe_atou(const char *s, unsigned *ret);
int safe_atou64(const char *s, uint64_t *ret);
int read_full_fd(int fd, char **ret, size_t max, size_t *ret_len);
int write_all(int fd, const void *buf, size_t len);
uint64_t now_usec(int clock);
