/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "facts.h"
#include "protocol.h"

enum check_status {
        CHECK_PASS,
        CHECK_WARN,       /* worth knowing, boots anyway */
        CHECK_FIXABLE,    /* fails; `pvh-agent prepare` can change it */
        CHECK_BLOCKED,    /* fails; needs a human (kernel, boot loader) */
        CHECK_UNKNOWN,    /* could not tell */
        CHECK_SKIP,       /* does not apply */
        CHECK_RISK,       /* fails outside the verdict: the next reboot in the current mode fails */
};

/*
 * The checks and the verdict are protocol/'s (enum proto_check, enum
 * proto_verdict and their names): the ids are a stable interface, the
 * enum's order is report order.
 */

struct check_result {
        enum proto_check id;
        enum check_status status;
        char *reason;
        char *fix;                /* one line: what to do; NULL when nothing */
};

const char *check_status_name(enum check_status s);
/* The status a check is published with: fixable, blocked and risk fail, unknown warns. */
enum proto_status check_status_to_proto(enum check_status s);

/*
 * Runs every check; results[i] is check i. next_boot_mode judges the next
 * reboot in the mode the guest runs now, not the switch to PVH: it runs last,
 * on the others' results, and its risk leaves the verdict alone (a PV guest
 * whose next kernel cannot run as PV may be ready for PVH: the switch is then
 * its remedy, which its fix says).
 */
int checks_run(const struct facts *f, struct check_result results[static _PROTO_CHECK_MAX]);
void checks_done(struct check_result results[static _PROTO_CHECK_MAX]);
enum proto_verdict checks_verdict(const struct check_result *results, size_t n);
/* The exit status of `pvh-agent check`: 0 ready, 1 fixable, 2 blocked, 3 unknown. */
int verdict_exit_status(enum proto_verdict v);
