/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

/*
 * The guest owner's choice of what the host may request: the file
 * POLICY_PATH inside the root (the guest's own /etc), or a file given with
 * --config. Its grammar (shared/conffile.h, with one word a value), strict
 * so that a typo never passes for a choice:
 *
 *   file    = *line
 *   line    = blank / comment / setting
 *   blank   = *WS
 *   comment = *WS "#" *CHAR          (a whole line: no comment after a setting)
 *   setting = *WS KEY *WS "=" *WS VALUE *WS
 *   KEY, VALUE = [a-z][a-z-]*
 *   WS      = space / tab;  CHAR = printable ASCII or tab
 *
 * Keys, each at most once:
 *   prepare     = allow | dry-run | deny     (default allow)
 *   rollback    = allow | deny               (default allow)
 *   report-only = yes | no                   (default no; yes denies every
 *                                             action that changes the guest,
 *                                             whatever the lines above say)
 *   compat      = none | xapi                (default none; xapi also
 *                                             publishes the keys XAPI and
 *                                             Xen Orchestra read: compat.h)
 * ping and probe change nothing and are always allowed. An unknown key (one
 * a newer version knows, say), a key twice, a value the key does not take,
 * any other byte or a file over POLICY_FILE_MAX makes the file invalid, and
 * an invalid or unreadable file means report-only: a mistake never allows
 * more than the owner wrote. A missing file allows everything, as before
 * the file existed.
 */
#define POLICY_PATH "/etc/pvh-agent/agent.conf"
#define POLICY_FILE_MAX (64u << 10)
#define POLICY_ERROR_MAX 256

enum policy_grant {
        POLICY_ALLOW,
        POLICY_DRY_RUN, /* with the dry-run argument only */
        POLICY_DENY,
        _POLICY_GRANT_MAX,
};

enum policy_origin {
        POLICY_DEFAULT, /* no file: everything allowed */
        POLICY_FILE,    /* a valid file */
        POLICY_INVALID, /* a file that is malformed or cannot be read: report-only */
};

struct policy {
        enum policy_origin origin;
        bool report_only;                           /* report-only = yes, or an invalid file */
        enum policy_grant grant[_PROTO_ACTION_MAX]; /* as the file says; see policy_grant() */
        bool compat_xapi;                           /* compat = xapi: not in an invalid file */
        char error[POLICY_ERROR_MAX];               /* POLICY_INVALID: "line 3: unknown key 'x'" */
        uint64_t hash;                              /* of the bytes read, or of the error */
};

/* Everything allowed: the choice without a file. */
void policy_default(struct policy *ret);
/*
 * The choice a file's text makes. -EINVAL for text that breaks the grammar:
 * then ret is report-only with origin POLICY_INVALID and error set.
 */
int policy_parse(const char *text, size_t len, struct policy *ret);
/*
 * Reads the owner's choice: path as it is (--config) when not NULL, else
 * POLICY_PATH inside root_fd. Never fails: an unreadable file is an invalid
 * one (report-only, error says why); only a missing file gives the default.
 */
void policy_load(int root_fd, const char *path, struct policy *ret);

/* What holds for action: report-only and the actions that change nothing come first. */
enum policy_grant policy_grant(const struct policy *p, enum proto_action a);
const char *policy_grant_to_string(enum policy_grant g);
/* What the agent publishes in agent/actions. */
void policy_actions(const struct policy *p, struct proto_actions *ret);
/*
 * Whether the request may run. When not, why is one line for the answer and
 * the owner's record, naming the setting (file is the path to name).
 */
bool policy_allows(const struct policy *p, const struct proto_request *req, const char *file,
                   char *why, size_t size);
/* Whether the two choices allow and publish the same (what is published and what is refused). */
bool policy_same(const struct policy *a, const struct policy *b);
/* "prepare allow, rollback deny" or "report-only": the choice in effect, for the log. */
void policy_describe(const struct policy *p, char *buf, size_t size);
