/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/*
 * A test hook for the crash tests: with PVH_AGENT_CRASH_AT=K in the
 * environment, the K-th call of crashpoint() kills the process with SIGKILL,
 * as a power cut or an OOM kill would. Every durable step of prepare and
 * rollback (each fsync'd write, rename and journal record) is followed by one.
 * Without the variable it does nothing. PVH_AGENT_CRASH_COUNT=FILE makes
 * the process write the number of crash points it passed there at exit, so
 * a test knows how many steps there are.
 *
 * Compiled only with ./configure --enable-fault-injection: in other builds
 * (the packages) both are empty and the variables are never read.
 */
/*
 * The other test hooks of that build that are durations: NAME=SECONDS in the
 * environment (a positive number) replaces dflt_usec, so that a test does not
 * wait a minute for what happens once a minute. Other builds return dflt_usec.
 */
#ifdef ENABLE_FAULT_INJECTION
void crashpoint(void);
void crashpoint_report(void);
uint64_t crashpoint_usec(const char *name, uint64_t dflt_usec);
#else
static inline uint64_t crashpoint_usec(const char *name, uint64_t dflt_usec)
{
        return dflt_usec;
}

static inline void crashpoint(void)
{
}

static inline void crashpoint_report(void)
{
}
#endif
