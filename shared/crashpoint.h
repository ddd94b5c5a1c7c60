/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

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
#ifdef ENABLE_FAULT_INJECTION
void crashpoint(void);
void crashpoint_report(void);
#else
static inline void crashpoint(void)
{
}

static inline void crashpoint_report(void)
{
}
#endif
