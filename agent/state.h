/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "kvset.h"
#include "netwatch.h"
#include "probe.h"

/* Who is publishing: fixed for the life of one agent process, but for the actions. */
struct agent_ident {
        const char *version;
        char instance[37];
        char boot_id[37];              /* "" when unknown */
        struct proto_actions actions;  /* what the owner allows now */
};

/*
 * The agent's own keys, relative to ~/data/pvh, with probe's key writer (the
 * readiness result is probe_result_keys()): every value is held to its
 * key's type and bound, and whatever cannot be made valid is left out.
 */
int state_add_ident(struct kvset *out, const struct agent_ident *id);
int state_add_net(struct kvset *out, const struct net_iface *ifs, size_t n);
/*
 * The summary of the keys in out and of the last answer (PROTOCOL.md,
 * "Summary"; answer: last_request and its answer's keys, relative to
 * ~/data/pvh, which are published apart), added to out so that it is
 * published in the same transaction as what it repeats. A state whose
 * summary would not fit gets none (readers then read the keys): 0, or 1
 * when the summary was added, or -ENOMEM.
 */
int state_add_summary(struct kvset *out, const struct kvset *answer);
/*
 * The published summary old (len bytes) with its answer lines replaced by
 * answer's, into buf: for the transaction that writes an answer. Returns
 * the length, or a -PROTO_E_* error when the result is not a valid summary
 * (the caller removes the summary, so that readers read the keys).
 */
int state_summary_answer(const char *old, size_t len, const struct kvset *answer, char *buf, size_t size);
