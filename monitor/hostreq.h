/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "protocol.h"
#include "xstore.h"

/*
 * The one rule for when the host may write a domain's ~/control/pvh/request,
 * for `request` and `migrate` alike. The node is free when it is empty, when
 * the request it holds has a final answer, or when it holds no request at
 * all (a value whose id does not decode: the agent answers such a value
 * under the nil id and it can never be answered under its own). A request
 * without an answer, or whose answer is not final, is the agent's to finish.
 */
enum hostreq_slot {
        HOSTREQ_BUSY,    /* another request waits or runs */
        HOSTREQ_FREE,    /* the host may write now */
        HOSTREQ_PENDING, /* the node holds request id itself, not taken yet */
};

/*
 * Creates the node when the domain has none (with the permissions the
 * protocol gives it), then tells what the node allows; id (may be NULL) is
 * the request the caller is about to write or has written.
 */
int hostreq_slot(struct xstore *x, unsigned domid, const char *id);
/* Writes req into the node; call only after hostreq_slot() said HOSTREQ_FREE. */
int hostreq_write(struct xstore *x, unsigned domid, const struct proto_request *req);
