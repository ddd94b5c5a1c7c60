/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "crashpoint.h"
#include "util.h"

/*
 * The Makefile compiles this file only with --enable-fault-injection; builds
 * that take every file (tests/fuzz/run.sh) get nothing from it otherwise.
 */
#ifdef ENABLE_FAULT_INJECTION

/* The one global of the prepare code: a test hook, read once, counting steps. */
static struct {
        bool init;
        unsigned long at;
        unsigned long passed;
} cp;

void crashpoint(void)
{
        if (!cp.init) {
                const char *s = getenv("PVH_AGENT_CRASH_AT");
                uint64_t v;

                cp.init = true;
                if (s && safe_atou64(s, &v) >= 0)
                        cp.at = (unsigned long)v;
        }
        cp.passed++;
        if (cp.at && cp.passed == cp.at)
                kill(getpid(), SIGKILL);
}

void crashpoint_report(void)
{
        const char *path = getenv("PVH_AGENT_CRASH_COUNT");
        FILE *f;

        if (!path || !(f = fopen(path, "we")))
                return;
        fprintf(f, "%lu\n", cp.passed);
        fclose(f);
}

uint64_t crashpoint_usec(const char *name, uint64_t dflt_usec)
{
        const char *s = getenv(name);
        unsigned v;

        if (s && safe_atou(s, &v) >= 0 && v > 0)
                return (uint64_t)v * 1000000;
        return dflt_usec;
}

#endif
