/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Counting one domain's requests in a xenstored 4.17 trace (-T FILE).
 *
 * The trace names a connection only by its address:
 *
 *   IN 0x55fb3e888fe0 20261121 12:58:38 WRITE (data/x1 1)
 *   OUT 0x55fb3e888fe0 20261121 12:58:38 WRITE (OK )
 *   CREATE connection 0x55fb3e888fe0
 *   DESTROY connection 0x55fb3e888fe0
 *
 * and a domain's ring connection is created while XS_INTRODUCE is handled,
 * so its CREATE line directly follows "IN <dom0 conn> ... INTRODUCE (N 0 1 )".
 * Addresses are reused once a connection is destroyed, and each xenstored
 * started on the same file appends "***" before its own lines, which starts
 * a new map. Connections not created by an introduction are dom0's (its
 * ring and every socket client).
 */
#include <stdint.h>
#include <stdio.h>

/* Counts the IN lines of domid's connections that start at or after byte offset since. */
int trace_count(FILE *f, unsigned domid, uint64_t since, uint64_t *ret);
