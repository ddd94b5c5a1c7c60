/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "fleet.h"

/* Prometheus text exposition format 0.0.4. */
void metrics_header(FILE *f, const char *name, const char *type, const char *help);
/* labels: n pairs of name, value; values are escaped (\\, \", \n). */
void metrics_sample(FILE *f, const char *name, const char *const *labels, unsigned n, int64_t v);
/* The guests' series: per guest_type and verdict, failures per check. */
void metrics_fleet(FILE *f, const struct fleet *fl);

/* A domain's oldest request without an answer (db_unanswered()). */
struct metrics_unanswered {
        unsigned domid;
        int64_t age; /* seconds */
};

/*
 * One series per guest: pvh_guest_info, pvh_guest_next_boot_fails,
 * pvh_guest_check_failing (per failing check), and
 * pvh_guest_request_unanswered_seconds from u. Every label is the
 * toolstack's (name, uuid) or from a closed vocabulary ("other" else).
 */
int metrics_guests(FILE *f, const struct fleet *fl, const struct metrics_unanswered *u, unsigned n_u);
