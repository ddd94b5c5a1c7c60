/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The exit statuses of pvh-agent and pvh-monitor: one number, one meaning,
 * in both programs. 1 to 3 are answers (check's verdicts, a failed request or
 * migration); 4 and up say that there is no answer. The EXIT STATUS sections
 * of both manual pages list them, and tests/exit-status.sh holds the three
 * lists together: an entry here is "EXIT_NAME = N," and its page entry starts
 * with the same name.
 */
enum {
        EXIT_DONE = 0,     /* done; check: ready */
        EXIT_FAILED = 1,   /* failed; check: fixable */
        EXIT_BLOCKED = 2,  /* check: blocked; migrate: partial (some guests done, others not) */
        EXIT_UNKNOWN = 3,  /* check: unknown */
        EXIT_USAGE = 4,    /* usage error */
        EXIT_INTERNAL = 5, /* internal error */
        EXIT_TIMEOUT = 6,  /* monitor: no answer in time, no agent, or the domain went away */
};

/*
 * The worse of two statuses, for a command over many guests: an internal
 * error outweighs a usage error, that a timeout, that a failure.
 */
static inline int exit_worst(int a, int b)
{
        static const int rank[] = {
                [EXIT_DONE] = 0,    [EXIT_FAILED] = 1, [EXIT_BLOCKED] = 1,  [EXIT_UNKNOWN] = 1,
                [EXIT_TIMEOUT] = 2, [EXIT_USAGE] = 3,  [EXIT_INTERNAL] = 4,
        };

        if (a < 0 || a > EXIT_TIMEOUT || b < 0 || b > EXIT_TIMEOUT)
                return a > b ? a : b;
        return rank[a] >= rank[b] ? a : b;
}
