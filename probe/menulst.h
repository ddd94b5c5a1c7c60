/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "bootentry.h"

/* Legacy GRUB (0.9x) menu.lst / grub.conf: the entries and the "default" index. */
int menulst_parse(const char *text, size_t len, struct boot_entry **ret_menu, unsigned *ret_default);
