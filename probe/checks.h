/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "facts.h"

enum check_status {
        CHECK_PASS,
        CHECK_WARN,       /* worth knowing, boots anyway */
        CHECK_FIXABLE,    /* fails; `pvh-agent prepare` can change it */
        CHECK_BLOCKED,    /* fails; needs a human (kernel, boot loader) */
        CHECK_UNKNOWN,    /* could not tell */
        CHECK_SKIP,       /* does not apply */
};

/*
 * The checks, in report order. Their ids (check_id_name) are a stable
 * interface: the xenstore protocol publishes them.
 */
enum check_id {
        CHECK_GUEST_TYPE,
        CHECK_NEXT_BOOT,
        CHECK_KERNEL_VERSION,
        CHECK_KERNEL_PVH,
        CHECK_KERNEL_FORMAT,
        CHECK_BLKFRONT,
        CHECK_ROOT_DEVICE,
        CHECK_GRUB_MENU,
        CHECK_CONSOLE,
        CHECK_GRUB_TERMINAL,
        CHECK_KERNEL_PARAMS,
        CHECK_PV_ROLLBACK,
        CHECK_ARCH,
        _CHECK_MAX,
};

enum verdict {
        VERDICT_READY,
        VERDICT_FIXABLE,
        VERDICT_BLOCKED,
        VERDICT_UNKNOWN,
};

struct check_result {
        enum check_id id;
        enum check_status status;
        char *reason;
        char *fix;                /* one line: what to do; NULL when nothing */
};

const char *check_id_name(enum check_id id);
const char *check_status_name(enum check_status s);
const char *verdict_name(enum verdict v);

/* Runs every check; results[i] is check i. */
int checks_run(const struct facts *f, struct check_result results[static _CHECK_MAX]);
void checks_done(struct check_result results[static _CHECK_MAX]);
enum verdict checks_verdict(const struct check_result *results, size_t n);
/* The exit status of `pvh-agent check`: 0 ready, 1 fixable, 2 blocked, 3 unknown. */
int verdict_exit_status(enum verdict v);
