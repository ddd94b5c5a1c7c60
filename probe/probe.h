/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "checks.h"
#include "facts.h"
#include "kcache.h"

/*
 * The facts of the system under root_fd, every check on them, and the
 * verdict: what `check` prints, the daemon publishes and prepare judges.
 * On success the caller releases ret_res with checks_done() and ret_facts
 * with facts_done(); on failure nothing is left to release.
 */
int probe_system(int root_fd, bool host_root, struct kcache *cache, struct facts *ret_facts,
                 struct check_result ret_res[static _PROTO_CHECK_MAX], enum proto_verdict *ret_verdict);
