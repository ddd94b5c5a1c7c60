/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rootfs.h"

/* The kernel configuration symbols the checks need: 'y', 'm' or 0 (unset). */
enum kconfig_sym {
        KCONF_XEN,
        KCONF_XEN_PVHVM,
        KCONF_XEN_PVH,
        KCONF_PVH,
        KCONF_ACPI,
        KCONF_HVC_XEN,
        KCONF_XEN_BLKDEV_FRONTEND,
        KCONF_X86_64,
        KCONF_X86_32,
        KCONF_X86_PAE,
        _KCONF_MAX,
};

struct kconfig {
        char *path;               /* NULL: no config file found */
        char val[_KCONF_MAX];
};

const char *kconfig_sym_name(enum kconfig_sym s);
int kconfig_parse(const char *text, size_t len, struct kconfig *ret);
/* /boot/config-RELEASE and its usual other places; /proc/config.gz for the running kernel. */
/* A candidate that is there but cannot be read is noted in unreadable (may be NULL), and passed over. */
int kconfig_load(int root_fd, const char *release, bool running, struct root_unreadable *unreadable,
                 struct kconfig *ret);
void kconfig_done(struct kconfig *k);
