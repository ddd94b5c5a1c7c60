/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * policy_parse() of the owner's configuration file: it either makes a
 * choice of the values the grammar allows, or is invalid, report-only, with
 * a message of printable ASCII that names a line; never more than the text
 * allows. Build as fuzz-agent.h says, with agent/policy.c, the protocol and
 * shared/.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fuzz-agent.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        struct proto_actions a;
        struct policy p;
        int r = policy_parse(text, size, &p);

        FUZZ_CHECK(r == 0 || r == -EINVAL);
        policy_actions(&p, &a);
        FUZZ_CHECK(a.known & (1u << PROTO_ACTION_PING) && a.known & (1u << PROTO_ACTION_PROBE));
        if (r < 0) {
                FUZZ_CHECK(p.origin == POLICY_INVALID && p.report_only);
                FUZZ_CHECK(strncmp(p.error, "line ", 5) == 0);
                for (const char *c = p.error; *c; c++)
                        FUZZ_CHECK(*c >= 0x20 && *c < 0x7f);
                FUZZ_CHECK(a.known == ((1u << PROTO_ACTION_PING) | (1u << PROTO_ACTION_PROBE)) &&
                           a.dry_run_only == 0);
                return 0;
        }
        FUZZ_CHECK(p.origin == POLICY_FILE);
        /* Only a text that names a key can take anything away. */
        if (!memmem(text, size, "prepare", 7))
                FUZZ_CHECK(policy_grant(&p, PROTO_ACTION_PREPARE) == POLICY_ALLOW || p.report_only);
        if (!memmem(text, size, "rollback", 8))
                FUZZ_CHECK(policy_grant(&p, PROTO_ACTION_ROLLBACK) == POLICY_ALLOW || p.report_only);
        if (!memmem(text, size, "report-only", 11))
                FUZZ_CHECK(!p.report_only);
        return 0;
}
