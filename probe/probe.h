/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The readiness library's interface: the one header a program that links
 * probe/libprobe.la includes. The facts about a guest root tree (struct
 * facts), every check on them and the verdict (checks.h, whose ids and
 * verdicts are protocol/'s), the result as protocol keys (keys.h), the
 * kernel cache, and the readers prepare needs to change what the checks
 * judge: the GRUB settings evaluator (grubvars.h) and the boot entries
 * (bls.h, bootentry.h). Everything else in probe/ is the library's own.
 */
#include <stdbool.h>

#include "bls.h"
#include "bootentry.h"
#include "checks.h"
#include "facts.h"
#include "grubvars.h"
#include "kcache.h"
#include "keys.h"

/*
 * The facts of the system under root_fd, every check on them, and the
 * verdict: what `check` prints, the daemon publishes and prepare judges.
 * On success the caller releases ret_res with checks_done() and ret_facts
 * with facts_done(); on failure nothing is left to release.
 */
int probe_system(int root_fd, bool host_root, struct kcache *cache, struct facts *ret_facts,
                 struct check_result ret_res[static _PROTO_CHECK_MAX],
                 enum proto_verdict *ret_verdict);
