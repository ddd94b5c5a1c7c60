/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "bootentry.h"
#include "rootfs.h"

/* Boot Loader Specification entries (/boot/loader/entries/NAME.conf). */
int bls_parse_entry(const char *text, size_t len, const char *id, struct boot_entry **ret);
/*
 * All entries, in the order GRUB's blscfg lists them (newest version first), as a submenu; one
 * that cannot be read is left out, and noted in unreadable.
 */
int bls_load(int root_fd, struct root_unreadable *unreadable, struct boot_entry **ret_menu);
/* Expands $var and ${var} from env (RHEL 8 "options $kernelopts"). */
char *bls_expand(const char *s, const struct grub_env *env);
