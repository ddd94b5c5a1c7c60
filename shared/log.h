/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/*
 * A small logger for the programs (never for library code): plain stderr in
 * the foreground, "<N>" priority prefixes when stderr is the journal
 * (JOURNAL_STREAM, see sd-daemon(3)), syslog(3) once log_to_syslog() was
 * called (a daemon without a terminal or a journal). errno is preserved, so
 * "%m" works.
 */
void log_setup(const char *ident, bool verbose);
/* From now on, messages go to syslog (facility daemon) instead of stderr. */
void log_to_syslog(void);
void log_set_max_level(int level);
int log_get_max_level(void);
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
/* These return -abs(error), so "return log_error_errno(r, ...)" passes r on. */
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
