/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"

/* Rows of guest_changes (db_changes()), copied out of the database. */
struct hrow {
        int64_t at, domid;
        char *uuid, *name, *what, *old, *new;
};

struct hrows {
        struct hrow *r;
        unsigned n;
};

int history_collect(struct db *d, const struct db_changes_query *q, struct hrows *ret);
void history_done(struct hrows *h);

/*
 * A table, oldest first: TIME (UTC, ISO 8601), NAME, UUID (its first 8
 * digits), DOMID, and the change in words. with_who false leaves out NAME
 * and UUID (the history of one guest). indent: spaces before each line.
 */
int history_print_table(FILE *f, const struct hrows *h, bool with_who, unsigned indent);
/* A JSON array: time, at (seconds since the epoch), uuid, name, domid, what, old, new. */
void history_print_json(FILE *f, const struct hrows *h);
/* Seconds since the epoch as "2026-01-02T10:00:00Z". */
void history_time(int64_t at, char buf[static 32]);
