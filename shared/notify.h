/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/*
 * The service manager's notification protocol, as sd_notify(3) documents it
 * for reimplementation, without libsystemd: one datagram of newline-separated
 * VAR=value assignments (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1) to the
 * AF_UNIX socket $NOTIFY_SOCKET names, a path or, starting with '@', a name in
 * the abstract namespace. Nothing is kept between calls.
 */

/* 1 sent, 0 when $NOTIFY_SOCKET is unset (no manager listens), -errno on failure. */
int notify_send(const char *state);
int notify_sendf(const char *fmt, ...) _printf_(1, 2);

/* Whether a service manager asked for notifications ($NOTIFY_SOCKET is set). */
bool notify_expected(void);

/*
 * As sd_watchdog_enabled(3): 1 and the interval in *ret_usec when the manager
 * expects WATCHDOG=1 from this process ($WATCHDOG_USEC set and $WATCHDOG_PID,
 * when set, this process); 0 when it does not; -EINVAL for a malformed value.
 * *ret_usec is untouched unless 1 is returned.
 */
int notify_watchdog_usec(uint64_t *ret_usec);
