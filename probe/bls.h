/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "bootentry.h"

/* Boot Loader Specification entries (/boot/loader/entries/NAME.conf). */
int bls_parse_entry(const char *text, size_t len, const char *id, struct boot_entry **ret);
/* All entries, in the order GRUB's blscfg lists them (newest version first), as a submenu. */
int bls_load(int root_fd, struct boot_entry **ret_menu);
/* Expands $var and ${var} from env (RHEL 8 "options $kernelopts"). */
char *bls_expand(const char *s, const struct grub_env *env);
