/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * The one grammar of the programs' configuration files (the guest owner's
 * agent.conf, the host's migrate.conf), strict so that a typo never passes
 * for a choice:
 *
 *   file    = *line
 *   line    = blank / comment / setting
 *   blank   = *WS
 *   comment = *WS "#" *CHAR          (a whole line: no comment after a setting)
 *   setting = *WS KEY *WS "=" *WS VALUE *WS
 *   KEY     = [a-z][a-z-]*
 *   VALUE   = *CHAR without WS at either end; which values a key takes is
 *             the file's business
 *   WS      = space / tab;  CHAR = printable ASCII or tab
 */

/*
 * Called for each setting, in the file's order; a negative return stops the
 * parse and is returned as is (the callback says why its own way).
 */
typedef int (*conffile_setting_fn)(unsigned line, const char *key, size_t key_len, const char *value,
                                   size_t value_len, void *userdata);

/* The length of the word [a-z][a-z-]* at s, a KEY (0 when there is none). */
size_t conffile_word(const char *s, size_t len);

/*
 * Parses text, calling fn on each setting. A line that breaks the grammar
 * stops it with -EINVAL and error (size bytes) set to "line N: why".
 */
int conffile_parse(const char *text, size_t len, conffile_setting_fn fn, void *userdata, char *error,
                   size_t size);
