/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 5000

struct db {
        sqlite3 *db;
        bool in_tx;
        bool readonly;
        int version;    /* the schema's, read-only databases */
        unsigned history_max;
};

/* Append only: migration i brings user_version from i to i + 1. */
static const char *const migrations[] = {
        "CREATE TABLE domains ("
        "  domid INTEGER PRIMARY KEY,"
        "  name TEXT, agent TEXT NOT NULL, guest_type TEXT, verdict TEXT NOT NULL,"
        "  kernel TEXT, os TEXT, agent_version TEXT, failing TEXT,"
        "  present INTEGER NOT NULL, updated INTEGER NOT NULL);"
        "CREATE TABLE verdict_history ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  domid INTEGER NOT NULL, name TEXT, at INTEGER NOT NULL,"
        "  old_verdict TEXT, new_verdict TEXT NOT NULL);"
        "CREATE INDEX verdict_history_domid ON verdict_history(domid, seq);"
        "CREATE TABLE requests ("
        "  id TEXT PRIMARY KEY,"
        "  domid INTEGER NOT NULL, name TEXT, action TEXT, state TEXT NOT NULL,"
        "  reason TEXT, message TEXT, seen INTEGER NOT NULL);"
        "CREATE INDEX requests_domid ON requests(domid);",
        /* pvh-monitor migrate: plans, each guest's journal of steps, and the events. */
        "CREATE TABLE migrations ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  created INTEGER NOT NULL, updated INTEGER NOT NULL,"
        "  state TEXT NOT NULL, reason TEXT, abort_requested INTEGER NOT NULL DEFAULT 0,"
        "  canary INTEGER NOT NULL, growth INTEGER NOT NULL, max_wave INTEGER NOT NULL,"
        "  max_failures INTEGER NOT NULL,"
        "  xl TEXT NOT NULL, config TEXT NOT NULL, pvgrub TEXT NOT NULL, pvhgrub TEXT NOT NULL,"
        "  hook TEXT, toolstack_timeout INTEGER NOT NULL, boot_timeout INTEGER NOT NULL,"
        "  request_timeout INTEGER NOT NULL);"
        "CREATE TABLE migration_guests ("
        "  migration INTEGER NOT NULL REFERENCES migrations(id),"
        "  pos INTEGER NOT NULL, wave INTEGER NOT NULL, name TEXT NOT NULL, config TEXT,"
        "  verdict TEXT, state TEXT NOT NULL, step TEXT NOT NULL, step_done INTEGER NOT NULL,"
        "  prepared INTEGER NOT NULL, switched INTEGER NOT NULL, restarted INTEGER NOT NULL,"
        "  old_domid INTEGER NOT NULL, domid INTEGER NOT NULL, boot_id TEXT, addrs TEXT,"
        "  request_id TEXT, reason TEXT, updated INTEGER NOT NULL,"
        "  PRIMARY KEY (migration, name));"
        "CREATE TABLE migration_events ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  migration INTEGER NOT NULL, name TEXT, at INTEGER NOT NULL,"
        "  event TEXT NOT NULL, detail TEXT);"
        "CREATE INDEX migration_events_migration ON migration_events(migration, seq);",
        /*
         * Requests are those the host sent (rows written by request and migrate
         * before they send), and their counters are kept apart from the rows,
         * which are pruned. Rows from before could have been forged by a guest:
         * they stay as history, and the counters start from them.
         */
        "CREATE TABLE requests_sent ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        "  domid INTEGER NOT NULL, name TEXT, action TEXT NOT NULL, sent INTEGER,"
        "  state TEXT NOT NULL, reason TEXT, message TEXT, seen INTEGER);"
        "INSERT INTO requests_sent(id, domid, name, action, state, reason, message, seen) "
        "  SELECT id, domid, name, coalesce(action, 'unknown'), state, reason, message, seen "
        "  FROM requests ORDER BY seen;"
        "DROP TABLE requests;"
        "ALTER TABLE requests_sent RENAME TO requests;"
        "CREATE INDEX requests_domid ON requests(domid, seq);"
        "CREATE TABLE request_outcomes ("
        "  action TEXT NOT NULL, outcome TEXT NOT NULL, n INTEGER NOT NULL,"
        "  PRIMARY KEY (action, outcome));"
        "INSERT INTO request_outcomes SELECT action, state, count(*) FROM requests GROUP BY 1, 2;",
        /* pvh-monitor inspect: the last inspection of each guest's disks, by name. */
        "CREATE TABLE inspections ("
        "  name TEXT PRIMARY KEY,"
        "  domid INTEGER NOT NULL, at INTEGER NOT NULL, disks TEXT,"
        "  verdict TEXT NOT NULL, failure TEXT, report TEXT);",
        /* migrate plan --agentless: guests planned from their disks' inspection. */
        "ALTER TABLE migrations ADD COLUMN agentless INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE migrations ADD COLUMN inspector TEXT;"
        "ALTER TABLE migrations ADD COLUMN inspect_time INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE migrations ADD COLUMN settle INTEGER NOT NULL DEFAULT 30;"
        "ALTER TABLE migrations ADD COLUMN console_log TEXT;"
        "ALTER TABLE migration_guests ADD COLUMN agentless INTEGER NOT NULL DEFAULT 0;",
};

/* The schema version that has the inspections table. */
#define SCHEMA_INSPECTIONS 4

/* SQLite's own message says what went wrong (no such table, disk full, ...); the errno cannot. */
static int sql_error(struct db *d, int rc)
{
        log_error("Database: %s", sqlite3_errmsg(d->db));
        return rc == SQLITE_NOMEM ? -ENOMEM : rc == SQLITE_BUSY ? -EBUSY : -EIO;
}

static int exec(struct db *d, const char *sql)
{
        int rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL);

        return rc == SQLITE_OK ? 0 : sql_error(d, rc);
}

static int run(struct db *d, const char *sql, const char *const *texts, unsigned n_texts,
               const int64_t *ints, unsigned n_ints, char **ret_text);

/* The tables the newest schema has, to tell a damaged database from a failing one. */
static const char *const tables[] = {
        "domains",    "verdict_history",  "requests",         "request_outcomes",
        "migrations", "migration_guests", "migration_events", "inspections",
};

static int user_version(struct db *d, int *ret)
{
        sqlite3_stmt *st;
        int rc;

        rc = sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : sql_error(d, rc);
}

static int migrate(struct db *d, const char *path)
{
        int v = 0, r;

        r = user_version(d, &v);
        if (r < 0)
                return r;
        if (v < 0)
                return log_error_errno(-EPROTO, "Database '%s' says it has schema version %d, which "
                                       "no version of pvh-monitor writes: it is not ours, or damaged.",
                                       path, v);
        if ((size_t)v > ELEMENTSOF(migrations))
                return log_error_errno(-EPROTO, "Database '%s' has schema version %d, newer than this "
                                       "program's %zu: use a newer pvh-monitor.",
                                       path, v, ELEMENTSOF(migrations));
        for (size_t i = (size_t)v; i < ELEMENTSOF(migrations); i++) {
                char pragma[48];

                snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu;", i + 1);
                r = exec(d, "BEGIN IMMEDIATE");
                if (r >= 0)
                        r = exec(d, migrations[i]);
                if (r >= 0)
                        r = exec(d, pragma);
                if (r < 0) {
                        exec(d, "ROLLBACK");
                        return r;
                }
                r = exec(d, "COMMIT");
                if (r < 0)
                        return r;
                log_info("Database schema now at version %zu.", i + 1);
        }
        return 0;
}

/* Every table of the schema is there: a dropped one is named, not met later as an I/O error. */
static int check_tables(struct db *d, const char *path)
{
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                _cleanup_free_ char *name = NULL;
                const char *t[] = { tables[i] };
                int r;

                r = run(d, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", t, 1,
                        NULL, 0, &name);
                if (r < 0)
                        return r;
                if (r == 0)
                        return log_error_errno(-EBADMSG, "Database '%s' has no table '%s', which its "
                                               "schema version says it has: it was damaged; restore "
                                               "it from a backup, or move it away to start anew.",
                                               path, tables[i]);
        }
        return 0;
}

int db_open(const char *path, struct db **ret)
{
        struct db *d = calloc(1, sizeof(*d));
        int rc, r;

        if (!d)
                return -ENOMEM;
        d->history_max = DB_HISTORY_DEFAULT;
        rc = sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        if (rc != SQLITE_OK) {
                r = log_error_errno(-EIO, "Failed to open database '%s': %s", path,
                                    d->db ? sqlite3_errmsg(d->db) : "out of memory");
                db_close(d);
                return r;
        }
        sqlite3_busy_timeout(d->db, BUSY_TIMEOUT_MS);
        r = exec(d, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
        if (r >= 0)
                r = migrate(d, path);
        if (r >= 0)
                r = check_tables(d, path);
        if (r < 0) {
                db_close(d);
                return r;
        }
        *ret = d;
        return 0;
}

int db_open_readonly(const char *path, struct db **ret)
{
        struct db *d;
        int v = 0;

        if (access(path, F_OK) < 0)
                return -errno;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
                db_close(d);
                return -EIO;
        }
        sqlite3_busy_timeout(d->db, BUSY_TIMEOUT_MS);
        if (user_version(d, &v) < 0)
                v = 0;
        d->readonly = true;
        d->version = v < 0 ? 0 : v;
        *ret = d;
        return 0;
}

struct db *db_close(struct db *d)
{
        if (!d)
                return NULL;
        if (d->in_tx)
                db_commit(d);
        sqlite3_close(d->db);
        free(d);
        return NULL;
}

static int begin(struct db *d)
{
        int r;

        if (d->in_tx)
                return 0;
        r = exec(d, "BEGIN IMMEDIATE");
        if (r >= 0)
                d->in_tx = true;
        return r;
}

int db_commit(struct db *d)
{
        if (!d->in_tx)
                return 0;
        d->in_tx = false;
        return exec(d, "COMMIT");
}

/* Prepares sql, binds the texts (NULL binds NULL) and the integers, and steps once. */
static int run(struct db *d, const char *sql, const char *const *texts, unsigned n_texts,
               const int64_t *ints, unsigned n_ints, char **ret_text)
{
        sqlite3_stmt *st;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        for (unsigned i = 0; i < n_texts; i++)
                sqlite3_bind_text(st, (int)i + 1, texts[i], -1, SQLITE_TRANSIENT);
        for (unsigned i = 0; i < n_ints; i++)
                sqlite3_bind_int64(st, (int)(n_texts + i) + 1, ints[i]);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && ret_text) {
                const unsigned char *t = sqlite3_column_text(st, 0);

                *ret_text = t ? strdup((const char *)t) : NULL;
                r = 1;
        } else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = sql_error(d, rc);
        sqlite3_finalize(st);
        return r;
}

void db_set_history_max(struct db *d, unsigned n)
{
        d->history_max = n;
}

/* Keeps the history_max newest rows of one domain in table (verdict_history or requests). */
static int prune(struct db *d, const char *table, unsigned domid)
{
        char sql[256];
        int64_t i[] = { domid, d->history_max };

        snprintf(sql, sizeof(sql),
                 "DELETE FROM %s WHERE domid = ?1 AND seq <= "
                 "(SELECT seq FROM %s WHERE domid = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
                 table, table);
        return run(d, sql, NULL, 0, i, 2, NULL);
}

static int history_add(struct db *d, unsigned domid, const char *name, const char *old,
                       const char *new, int64_t now)
{
        const char *t[] = { name, old, new };
        int64_t i[] = { domid, now };
        int r;

        r = run(d, "INSERT INTO verdict_history(name, old_verdict, new_verdict, domid, at) "
                   "VALUES (?, ?, ?, ?, ?)", t, 3, i, 2, NULL);
        return r < 0 ? r : prune(d, "verdict_history", domid);
}

static void failing_list(const struct guest *g, char *buf, size_t size)
{
        size_t o = 0;

        buf[0] = 0;
        for (unsigned i = 0; i < g->n_checks && o < size; i++)
                if (g->checks[i].status == PROTO_STATUS_FAIL)
                        o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "",
                                              g->checks[i].id);
}

int db_guest_seen(struct db *d, const struct guest *g, int64_t now)
{
        static const char *const agent_words[] = { "none", "ok", "incompatible", "invalid" };
        _cleanup_free_ char *old = NULL;
        const char *verdict = guest_verdict_word(g);
        char failing[PROTO_CHECKS_MAX * (PROTO_CHECK_ID_MAX + 1) + 1];
        int64_t id = g->domid;
        int r;

        r = begin(d);
        if (r >= 0)
                r = run(d, "SELECT verdict || ':' || present FROM domains WHERE domid = ?", NULL, 0,
                        &id, 1, &old);
        if (r < 0)
                return r;
        if (!old || !startswith(old, verdict) || old[strlen(verdict)] != ':' ||
            streq(old + strlen(verdict), ":0")) {
                char *colon = old ? strrchr(old, ':') : NULL;
                bool was_present = colon && streq(colon, ":1");

                if (colon)
                        *colon = 0;
                r = history_add(d, g->domid, guest_get_name(g), was_present ? old : NULL, verdict, now);
                if (r < 0)
                        return r;
        }
        failing_list(g, failing, sizeof(failing));
        {
                const char *t[] = { guest_get_name(g), agent_words[g->agent],
                                    guest_get(g, GF_GUEST_TYPE), verdict,
                                    guest_get(g, GF_KERNEL_RELEASE), guest_get(g, GF_OS_ID),
                                    guest_get(g, GF_AGENT_VERSION), failing };
                int64_t i[] = { g->domid, now };

                return run(d, "INSERT OR REPLACE INTO domains(name, agent, guest_type, verdict, kernel, "
                              "os, agent_version, failing, domid, updated, present) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", t, 8, i, 2, NULL);
        }
}

static bool contains(const unsigned *ids, unsigned n, unsigned id)
{
        for (unsigned i = 0; i < n; i++)
                if (ids[i] == id)
                        return true;
        return false;
}

int db_guests_gone(struct db *d, const unsigned *ids, unsigned n, int64_t now)
{
        sqlite3_stmt *st;
        unsigned gone[64], n_gone = 0;
        int rc, r;

        rc = sqlite3_prepare_v2(d->db, "SELECT domid FROM domains WHERE present = 1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && n_gone < ELEMENTSOF(gone)) {
                unsigned id = (unsigned)sqlite3_column_int64(st, 0);

                if (!contains(ids, n, id))
                        gone[n_gone++] = id;
        }
        sqlite3_finalize(st);
        r = begin(d);
        for (unsigned i = 0; i < n_gone && r >= 0; i++) {
                _cleanup_free_ char *old = NULL;
                int64_t v[] = { gone[i], now };

                r = run(d, "SELECT verdict FROM domains WHERE domid = ?", NULL, 0, v, 1, &old);
                if (r >= 0)
                        r = history_add(d, gone[i], NULL, old, "gone", now);
                if (r >= 0)
                        r = run(d, "UPDATE domains SET present = 0, updated = ?2 WHERE domid = ?1",
                                NULL, 0, v, 2, NULL);
        }
        return r;
}

int db_request_sent(struct db *d, const char *id, unsigned domid, const char *name,
                    enum proto_action action, int64_t now)
{
        const char *t[] = { id, name, proto_action_to_string(action) };
        int64_t i[] = { domid, now };
        int r = begin(d);

        if (r >= 0)
                r = run(d, "INSERT OR IGNORE INTO requests(id, name, action, domid, sent, state) "
                           "VALUES (?, ?, ?, ?, ?, 'sent')", t, 3, i, 2, NULL);
        return r;
}

/* One more request of action ended with outcome, for the counters. */
static int outcome_count(struct db *d, const char *action, const char *outcome)
{
        const char *t[] = { action, outcome };

        return run(d, "INSERT INTO request_outcomes(action, outcome, n) VALUES (?, ?, 1) "
                      "ON CONFLICT(action, outcome) DO UPDATE SET n = n + 1", t, 2, NULL, 0, NULL);
}

int db_request_seen(struct db *d, const struct guest *g, int64_t now)
{
        const struct ganswer *a = &g->last;
        _cleanup_free_ char *action = NULL;
        int s, r;

        if (!guest_get(g, GF_LAST_REQUEST) || a->state.err != 0)
                return 0;
        s = proto_state_from_string(a->state.val, strlen(a->state.val));
        if (s < 0 || !proto_state_is_final((enum proto_state)s))
                return 0;
        r = begin(d);
        if (r < 0)
                return r;
        /* Only a request the host sent, and only once: a guest cannot add rows. */
        {
                const char *t[] = { a->state.val, a->reason.err == 0 ? a->reason.val : NULL,
                                    a->message.err == 0 ? a->message.val : NULL, a->id };
                int64_t i[] = { now, g->domid };

                r = run(d, "UPDATE requests SET state = ?1, reason = ?2, message = ?3, seen = ?5 "
                           "WHERE id = ?4 AND domid = ?6 AND state = 'sent' RETURNING action",
                        t, 4, i, 2, &action);
        }
        if (r <= 0 || !action)
                return r;
        r = outcome_count(d, action, a->state.val);
        return r < 0 ? r : prune(d, "requests", g->domid);
}

/* Counters per action and outcome; whatever is not a known word is counted as "other". */
static int requests_metrics(struct db *d, FILE *f)
{
        int64_t n[_PROTO_ACTION_MAX + 1][_PROTO_STATE_MAX + 1] = {};
        sqlite3_stmt *st;
        int rc;

        rc = sqlite3_prepare_v2(d->db, "SELECT action, outcome, n FROM request_outcomes", -1, &st,
                                NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *act = (const char *)sqlite3_column_text(st, 0);
                const char *out = (const char *)sqlite3_column_text(st, 1);
                int ai = act ? proto_action_from_string(act, strlen(act)) : -1;
                int si = out ? proto_state_from_string(out, strlen(out)) : -1;

                if (si >= 0 && !proto_state_is_final((enum proto_state)si))
                        si = -1;
                n[ai < 0 ? _PROTO_ACTION_MAX : ai][si < 0 ? _PROTO_STATE_MAX : si] +=
                        sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return sql_error(d, rc);
        metrics_header(f, "pvh_monitor_requests_total", "counter",
                       "Requests the host sent whose final answer was seen, by action and outcome.");
        for (int a = 0; a <= _PROTO_ACTION_MAX; a++)
                for (int s = 0; s <= _PROTO_STATE_MAX; s++) {
                        const char *labels[] = {
                                "action", a < _PROTO_ACTION_MAX ? proto_action_to_string(a) : "other",
                                "outcome", s < _PROTO_STATE_MAX ? proto_state_to_string(s) : "other",
                        };

                        if (n[a][s])
                                metrics_sample(f, "pvh_monitor_requests_total", labels, 2, n[a][s]);
                }
        return 0;
}

int db_metrics(struct db *d, FILE *f)
{
        sqlite3_stmt *st;
        int64_t changes = 0;
        int rc, r;

        r = requests_metrics(d, f);
        if (r < 0)
                return r;
        /* The sequence counts every row ever added, pruned ones too: a counter never goes down. */
        rc = sqlite3_prepare_v2(d->db,
                                "SELECT seq FROM sqlite_sequence WHERE name = 'verdict_history'", -1,
                                &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        if (sqlite3_step(st) == SQLITE_ROW)
                changes = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        metrics_header(f, "pvh_monitor_verdict_changes_total", "counter",
                       "Verdict changes recorded in the history, domains coming and going included.");
        metrics_sample(f, "pvh_monitor_verdict_changes_total", NULL, 0, changes);
        return 0;
}

int db_inspection_put(struct db *d, const char *name, unsigned domid, int64_t at, const char *disks,
                      const char *verdict, const char *failure, const char *report)
{
        const char *t[] = { name, disks, verdict, failure, report };
        int64_t i[] = { domid, at };
        int r = begin(d);

        if (r < 0)
                return r;
        return run(d, "INSERT OR REPLACE INTO inspections(name, disks, verdict, failure, report, domid, at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)", t, 5, i, 2, NULL);
}

static char *column_dup(sqlite3_stmt *st, int col)
{
        const unsigned char *t = sqlite3_column_text(st, col);

        return t ? strdup((const char *)t) : NULL;
}

int db_inspection_get(struct db *d, const char *name, struct db_inspection *ret)
{
        sqlite3_stmt *st;
        int rc, r = -ENOENT;

        if (d->readonly && d->version < SCHEMA_INSPECTIONS)
                return -ENOENT;
        rc = sqlite3_prepare_v2(d->db, "SELECT domid, at, disks, verdict, failure, report FROM inspections "
                                       "WHERE name = ?", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = (struct db_inspection){
                        .domid = (unsigned)sqlite3_column_int64(st, 0),
                        .at = sqlite3_column_int64(st, 1),
                        .disks = column_dup(st, 2),
                        .verdict = column_dup(st, 3),
                        .failure = column_dup(st, 4),
                        .report = column_dup(st, 5),
                };
                r = ret->verdict ? 0 : -ENOMEM;
                if (r < 0)
                        db_inspection_done(ret);
        } else if (rc != SQLITE_DONE)
                r = sql_error(d, rc);
        sqlite3_finalize(st);
        return r;
}

void db_inspection_done(struct db_inspection *i)
{
        free(i->disks);
        free(i->verdict);
        free(i->failure);
        free(i->report);
        *i = (struct db_inspection){};
}

int db_inspection_apply(struct db *d, struct guest *g)
{
        struct db_inspection i;
        int r;

        if (!d || g->agent != GUEST_AGENT_NONE || !guest_get_name(g))
                return 0;
        r = db_inspection_get(d, guest_get_name(g), &i);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = guest_apply_report(g, i.report, i.report ? strlen(i.report) : 0, i.at, i.disks, i.failure);
        db_inspection_done(&i);
        return r;
}
