/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "protocol.h"
#include "store.h"

/*
 * Host requests (~/control/pvh/request) and their answers
 * (~/data/pvh/answer/$UUID), as PROTOCOL.md "Requests and answers" says:
 * taken and acknowledged in one transaction, never run twice (the last ids
 * are kept in the state directory), one at a time, never ignored.
 */
struct requests;

#define REQUEST_PATH "control/pvh/request"
#define REQUESTS_REMEMBERED 64

/* The last ids are kept in the state directory state_fd (dup'd), or in memory only when it is -1. */
int requests_new(int state_fd, struct requests **ret);
struct requests *requests_free(struct requests *rq);

/*
 * Takes the waiting request, if there is one. Requests that cannot run
 * (malformed, duplicate, busy) are answered here. Returns 1 with *ret set
 * when the request must run, 0 when there is nothing to run, or -errno.
 */
int requests_take(struct requests *rq, struct store *s, bool busy, struct proto_request *ret);

int requests_running(struct requests *rq, struct store *s, const struct proto_uuid *id);

/*
 * The last answer as the summary repeats it (last_request and its answer's
 * state, action and reason, relative to ~/data/pvh), read from xenstore into
 * out: for the summary a publication writes. Nothing when there is none.
 */
int requests_last_answer(struct store *s, struct kvset *out);

/*
 * The final answer: done (reason ignored) or failed; output may be NULL.
 * omitted: bytes of output the caller already had to leave out.
 */
int requests_finish(struct requests *rq, struct store *s, const struct proto_uuid *id,
                    enum proto_state state, enum proto_reason reason, const char *message,
                    const char *output, size_t output_len, size_t omitted);

/*
 * After a restart: the newest request, if its answer is not final, ran when
 * the agent stopped: 1 and its id, or 0. The caller answers it failed
 * "interrupted" once it knows how the work ended (requests_finish).
 */
int requests_unfinished(struct requests *rq, struct store *s, struct proto_uuid *ret);
