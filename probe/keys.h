/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "checks.h"
#include "facts.h"
#include "kvset.h"
#include "protocol.h"

/*
 * The readiness result as the guest keys of the protocol, relative to
 * ~/data/pvh: what the agent publishes and what the disk inspector reports.
 * Every value is held to its key's type and bound (proto_key_check); free
 * text is sanitized, and whatever cannot be made valid is left out.
 */

/* Sets the key's node to value when it is valid for that key; NULL values are skipped. */
int probe_key_put(struct kvset *out, enum proto_key key, const struct proto_path_args *args,
                  const char *value);
/* Free text from the guest's files: made valid TEXT, cut to the key's bound. */
int probe_key_put_text(struct kvset *out, enum proto_key key, const struct proto_path_args *args,
                       const char *value);
/* The facts the protocol carries, every check, and the verdict. */
int probe_result_keys(struct kvset *out, const struct facts *f,
                      const struct check_result res[static _PROTO_CHECK_MAX], enum proto_verdict v);
