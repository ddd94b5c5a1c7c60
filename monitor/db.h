/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guest.h"
#include "metrics.h"

/*
 * serve's SQLite database: the current state per domain, the history of
 * verdict changes, and the requests seen, kept across restarts. The schema
 * is versioned with PRAGMA user_version and grows by appending migrations.
 * Writes are batched: the first write opens a transaction, db_commit() ends it.
 */
struct db;

/* Where serve, inspect and migrate keep it, and status reads it, by default. */
#define DB_DEFAULT_PATH "/var/lib/pvh-monitor/state.db"
#define DB_HISTORY_DEFAULT 1000 /* rows of verdict history and of requests kept per domain */

int db_open(const char *path, struct db **ret);
/* db_open() of a database that exists: -ENOENT (logged) when there is none. */
int db_open_existing(const char *path, struct db **ret);
/*
 * For reading what serve and inspect stored: never creates the file (-ENOENT)
 * nor changes the schema; an older schema has no inspections.
 */
int db_open_readonly(const char *path, struct db **ret);
struct db *db_close(struct db *d);
int db_commit(struct db *d);

/* Records a guest's current state; a verdict other than the stored one adds a history row. */
int db_guest_seen(struct db *d, const struct guest *g, int64_t now);
/* Domains stored as present but not in ids (sorted) are marked gone, with a history row. */
int db_guests_gone(struct db *d, const unsigned *ids, unsigned n, int64_t now);
/* How many rows of verdict history and of requests are kept per domain (the newest). */
void db_set_history_max(struct db *d, unsigned n);
/* Records a request the host is about to send; a request never recorded is never counted. */
int db_request_sent(struct db *d, const char *id, unsigned domid, const char *name,
                    enum proto_action action, int64_t now);
/* Records the final answer of a request recorded by db_request_sent() (by id, once). */
int db_request_seen(struct db *d, const struct guest *g, int64_t now);

/*
 * The history of guests by identity (the domain's UUID): one row per change
 * of what serve saw. what: seen (first seen; new is the verdict), back (seen
 * again after it was gone), name, domid (the domain was restarted), verdict,
 * guest_type, kernel, agent (its version), risk (none, warn,
 * next-boot-fails), gone (old is the last verdict).
 */
struct db_change {
        int64_t seq, at;
        const char *uuid, *name, *what, *old, *new;
        int64_t domid;
};

struct db_changes_query {
        const char *uuid;   /* the guest with this UUID, */
        const char *name;   /* or every guest ever called this, */
        int64_t domid;      /* or the guest whose last domain this is (-1: none); all NULL/-1: every guest */
        int64_t since;      /* rows at or after this time */
        unsigned limit;     /* the newest rows only; 0: all */
};

typedef int (*db_change_fn)(const struct db_change *c, void *userdata);
/* Calls fn for each row, oldest first; returns how many, or the first error fn returned. */
int db_changes(struct db *d, const struct db_changes_query *q, db_change_fn fn, void *userdata);

/*
 * Per domain, the age of the oldest request the host sent within the last
 * day that has no final answer, and no later request to it has one either:
 * an agent that stopped answering.
 */
int db_unanswered(struct db *d, int64_t now, struct metrics_unanswered **ret, unsigned *ret_n);
/* The newest migration's progress: pvh_migration_* series; nothing when there is none. */
int db_migration_metrics(struct db *d, FILE *f);
/*
 * A guest's migration state changed (what "migration" in its history):
 * recorded under the identity last seen with that name, none when none was.
 */
int db_migration_change(struct db *d, const char *name, const char *old, const char *new, int64_t now);
/* 1 when the newest migration has guests armed for their next reboot (state armed), else 0. */
int db_migration_armed(struct db *d);
/* The newest migration's state ("armed", "done", ...): 1 with *ret_state set, 0 when there is none. */
int db_migration_newest_state(struct db *d, char **ret_state);
/*
 * In the newest migration: 1 when the guest named name is armed, else 0;
 * *ret_others is how many other guests are armed in it.
 */
int db_migration_guest_armed(struct db *d, const char *name, unsigned *ret_others);

/* Prometheus series from the database: requests by action and outcome, verdict changes. */
int db_metrics(struct db *d, FILE *f);

/* The last inspection of a guest's disks, by the guest's name. */
struct db_inspection {
        unsigned domid;
        int64_t at;
        char *disks;
        char *verdict;  /* the word status shows: a verdict, or "error" */
        char *failure;  /* the monitor's reason when the inspector did not report */
        char *report;   /* the inspector's report as it came */
};

int db_inspection_put(struct db *d, const char *name, unsigned domid, int64_t at, const char *disks,
                      const char *verdict, const char *failure, const char *report);
/* -ENOENT when the guest was never inspected. */
int db_inspection_get(struct db *d, const char *name, struct db_inspection *ret);
void db_inspection_done(struct db_inspection *i);
/* A guest's newest trial boot (pvh-monitor trial): -ENOENT when it had none. */
int db_trial_get(struct db *d, const char *name, struct gtrial *ret);
/* The guest's newest trial boot into g->trial (its outcome NULL when it had none, or d is NULL). */
int db_trial_apply(struct db *d, struct guest *g);
/* pvh_monitor_trials: guests by their newest trial's predicted verdict and outcome. */
int db_trial_metrics(struct db *d, FILE *f);
/* Shows the guest's last inspection when it has no agent: the report read again, every line checked. */
int db_inspection_apply(struct db *d, struct guest *g);
