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
#include "migrate.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 5000

struct db {
        sqlite3 *db;
        bool in_tx;
        bool readonly;
        int version;    /* the schema's, read-only databases */
        unsigned history_max;
};

static int exec(struct db *d, const char *sql);

/*
 * The schema, one function per version step: schema_to_N brings
 * user_version from N - 1 to N, in one transaction. Append only.
 */
static int schema_to_1(struct db *d)
{
        return exec(d, "CREATE TABLE domains ("
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
                       "CREATE INDEX requests_domid ON requests(domid);");
}

/* pvh-monitor migrate: plans, each guest's journal of steps, and the events. */
static int schema_to_2(struct db *d)
{
        return exec(d, "CREATE TABLE migrations ("
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
                       "CREATE INDEX migration_events_migration ON migration_events(migration, seq);");
}

/*
 * Requests are those the host sent (rows written by request and migrate
 * before they send), and their counters are kept apart from the rows, which
 * are pruned. Rows from before could have been forged by a guest: they stay
 * as history, and the counters start from them.
 */
static int schema_to_3(struct db *d)
{
        return exec(d, "CREATE TABLE requests_sent ("
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
                       "INSERT INTO request_outcomes SELECT action, state, count(*) FROM requests GROUP BY 1, 2;");
}

/*
 * Guests by identity: the domain's UUID, which stays when the domain is
 * restarted under a new domid. guests holds each one's state as last seen;
 * guest_changes its history, one row per change of a field (what: seen,
 * verdict, guest_type, kernel, agent, risk, name, domid, gone), kept per
 * UUID to --history rows. The domid-keyed tables stay as they were.
 */
static int schema_to_4(struct db *d)
{
        return exec(d, "CREATE TABLE guests ("
                       "  uuid TEXT PRIMARY KEY, domid INTEGER NOT NULL, name TEXT,"
                       "  verdict TEXT NOT NULL, guest_type TEXT, kernel TEXT, agent_version TEXT,"
                       "  risk TEXT NOT NULL, present INTEGER NOT NULL,"
                       "  first_seen INTEGER NOT NULL, updated INTEGER NOT NULL);"
                       "CREATE TABLE guest_changes ("
                       "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                       "  uuid TEXT NOT NULL, name TEXT, domid INTEGER NOT NULL, at INTEGER NOT NULL,"
                       "  what TEXT NOT NULL, old TEXT, new TEXT);"
                       "CREATE INDEX guest_changes_uuid ON guest_changes(uuid, seq);"
                       "CREATE INDEX guest_changes_at ON guest_changes(at);");
}

/* pvh-monitor inspect: the last inspection of each guest's disks, by name. */
static int schema_to_5(struct db *d)
{
        return exec(d, "CREATE TABLE inspections ("
                       "  name TEXT PRIMARY KEY,"
                       "  domid INTEGER NOT NULL, at INTEGER NOT NULL, disks TEXT,"
                       "  verdict TEXT NOT NULL, failure TEXT, report TEXT);");
}

/* migrate plan --agentless: guests planned from their disks' inspection. */
static int schema_to_6(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN agentless INTEGER NOT NULL DEFAULT 0;"
                       "ALTER TABLE migrations ADD COLUMN inspector TEXT;"
                       "ALTER TABLE migrations ADD COLUMN inspect_time INTEGER NOT NULL DEFAULT 0;"
                       "ALTER TABLE migrations ADD COLUMN settle INTEGER NOT NULL DEFAULT 30;"
                       "ALTER TABLE migrations ADD COLUMN console_log TEXT;"
                       "ALTER TABLE migration_guests ADD COLUMN agentless INTEGER NOT NULL DEFAULT 0;");
}

/* The programs migrate runs around each guest (migrate plan --before-guest, --after-guest). */
static int schema_to_7(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN before_guest TEXT;"
                       "ALTER TABLE migrations ADD COLUMN after_guest TEXT;");
}

/*
 * migrate: the toolstack command a guest's step runs, recorded before it runs
 * (its process group, its leader's start time and the boot), so that a run
 * resumed after a kill ends what is left of it first; and how many restarts
 * of a guest during its verification fail it.
 */
static int schema_to_8(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN max_restarts INTEGER NOT NULL DEFAULT 2;"
                       "ALTER TABLE migration_guests ADD COLUMN child_pgid INTEGER NOT NULL DEFAULT 0;"
                       "ALTER TABLE migration_guests ADD COLUMN child_start INTEGER NOT NULL DEFAULT 0;"
                       "ALTER TABLE migration_guests ADD COLUMN child_boot TEXT;");
}

/* 9: a migration planned with --no-prepare prepares no guest, at plan time or in the run. */
static int schema_to_9(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN no_prepare INTEGER NOT NULL DEFAULT 0;");
}

/* 10: how many guests of a wave a run takes through their steps at once (plan --parallel). */
static int schema_to_10(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN parallel INTEGER NOT NULL DEFAULT 1;");
}

/*
 * 11: migrate plan --at-next-reboot: the migration arms its guests (PVH in the
 * file and in the running domain's saved configuration) and each switches
 * at its own next reboot, verified by serve. The guests' states are words:
 * armed and disarmed need no column.
 */
static int schema_to_11(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN at_next_reboot INTEGER NOT NULL DEFAULT 0;");
}

/*
 * 12: trial boots (pvh-monitor trial). trial_journal and trial_snapshots
 * hold what a running trial made, written before it makes it, so that a
 * trial killed at any point leaves a list of what to remove; trials keeps
 * the outcomes.
 */
static int schema_to_12(struct db *d)
{
        return exec(d, "CREATE TABLE trial_journal (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                       "copy TEXT NOT NULL, config TEXT, created INTEGER NOT NULL DEFAULT 0, "
                       "started INTEGER NOT NULL);"
                       "CREATE TABLE trial_snapshots (trial INTEGER NOT NULL REFERENCES trial_journal(id) "
                       "ON DELETE CASCADE, kind TEXT NOT NULL, path TEXT NOT NULL, lv TEXT);"
                       "CREATE TABLE trials (name TEXT NOT NULL, at INTEGER NOT NULL, outcome TEXT NOT NULL, "
                       "reason TEXT, console TEXT);"
                       "CREATE INDEX trials_by_name ON trials(name, at);");
}

/*
 * 13: each trial keeps the verdict predicted when it began (the agent's, or
 * the newest inspection's for a guest without one), so that outcomes can be
 * set against predictions. NULL: not known, and every row from before. A
 * migration planned --require-trial keeps that, for run to check it again.
 */
static int schema_to_13(struct db *d)
{
        return exec(d, "ALTER TABLE trials ADD COLUMN predicted TEXT;"
                       "ALTER TABLE migrations ADD COLUMN require_trial INTEGER NOT NULL DEFAULT 0;");
}

/*
 * 14: a migration names its toolstack's driver (xl, libvirt, xapi; every
 * one from before drove xl) and, for libvirt, its connection.
 */
static int schema_to_14(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN toolstack TEXT NOT NULL DEFAULT 'xl';"
                       "ALTER TABLE migrations ADD COLUMN toolstack_uri TEXT;");
}

/*
 * 15: how long a guest with an agent must stay up, the same domain, neither
 * crashed nor shut down, once its agent reported the PVH boot (plan
 * --agent-settle; 0, every plan from before: not at all).
 */
static int schema_to_15(struct db *d)
{
        return exec(d, "ALTER TABLE migrations ADD COLUMN agent_settle INTEGER NOT NULL DEFAULT 0;");
}

static int (*const migrations[])(struct db *d) = {
        schema_to_1, schema_to_2, schema_to_3, schema_to_4,
        schema_to_5, schema_to_6, schema_to_7, schema_to_8,
        schema_to_9, schema_to_10, schema_to_11, schema_to_12,
        schema_to_13, schema_to_14, schema_to_15,
};

/* The schema version that has the inspections table. */
#define SCHEMA_INSPECTIONS 5

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
        "migrations", "migration_guests", "migration_events", "guests",
        "guest_changes", "inspections", "trial_journal", "trial_snapshots",
        "trials",
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
                        r = migrations[i](d);
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

/* ---- guests by identity -------------------------------------------------------- */

static bool contains(const unsigned *ids, unsigned n, unsigned id)
{
        for (unsigned i = 0; i < n; i++)
                if (ids[i] == id)
                        return true;
        return false;
}

#define IDENTITIES_MAX 16384 /* guests kept by UUID; beyond, those gone longest are forgotten */

/* Keeps the history_max newest changes of one guest. */
static int prune_changes(struct db *d, const char *uuid)
{
        const char *t[] = { uuid };
        int64_t i[] = { d->history_max };

        return run(d, "DELETE FROM guest_changes WHERE uuid = ?1 AND seq <= "
                      "(SELECT seq FROM guest_changes WHERE uuid = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
                   t, 1, i, 1, NULL);
}

/* Forgets the guests gone longest, with their changes, beyond IDENTITIES_MAX. */
static int prune_identities(struct db *d)
{
        static const char *const sql[] = {
                "CREATE TEMP TABLE IF NOT EXISTS forget(uuid TEXT PRIMARY KEY)",
                ("INSERT INTO forget SELECT uuid FROM guests WHERE present = 0 ORDER BY updated "
                 "  LIMIT max(0, (SELECT count(*) FROM guests) - ?1)"),
                "DELETE FROM guest_changes WHERE uuid IN (SELECT uuid FROM forget)",
                "DELETE FROM guests WHERE uuid IN (SELECT uuid FROM forget)",
                "DELETE FROM forget",
        };
        int64_t max = IDENTITIES_MAX;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(sql) && r >= 0; i++)
                r = run(d, sql[i], NULL, 0, &max, 1, NULL);
        return r;
}

/*
 * The parameters of every statement below: ?1 uuid, ?2 name, ?3 verdict,
 * ?4 guest_type, ?5 kernel, ?6 agent version, ?7 risk, ?8 domid, ?9 now.
 * A change row is added where the stored value differs (IS NOT: NULL is a
 * value); then the stored row becomes the new one.
 */
#define CHANGE_ROW "INSERT INTO guest_changes(uuid, name, domid, at, what, old, new) SELECT ?1, ?2, ?8, ?9, "
static const char *const presence_sql[] = {
        CHANGE_ROW "'seen', NULL, ?3 WHERE NOT EXISTS (SELECT 1 FROM guests WHERE uuid = ?1)",
        CHANGE_ROW "'back', 'gone', NULL FROM guests WHERE uuid = ?1 AND present = 0",
        CHANGE_ROW "'name', name, ?2 FROM guests WHERE uuid = ?1 AND name IS NOT ?2",
        CHANGE_ROW "'domid', CAST(domid AS TEXT), CAST(?8 AS TEXT) FROM guests WHERE uuid = ?1 AND domid IS NOT ?8",
        "INSERT INTO guests(uuid, name, verdict, guest_type, kernel, agent_version, risk, domid, first_seen, "
        "  updated, present) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 1) "
        "ON CONFLICT(uuid) DO UPDATE SET name = ?2, domid = ?8, updated = ?9, present = 1",
};
static const char *const agent_sql[] = {
        CHANGE_ROW "'verdict', verdict, ?3 FROM guests WHERE uuid = ?1 AND verdict IS NOT ?3",
        /* A first value, when the agent appears, is no change: the verdict's row says it appeared. */
        CHANGE_ROW "'guest_type', guest_type, ?4 FROM guests WHERE uuid = ?1 AND guest_type IS NOT ?4 "
                   "AND guest_type IS NOT NULL",
        CHANGE_ROW "'kernel', kernel, ?5 FROM guests WHERE uuid = ?1 AND kernel IS NOT ?5 AND kernel IS NOT NULL",
        CHANGE_ROW "'agent', agent_version, ?6 FROM guests WHERE uuid = ?1 AND agent_version IS NOT ?6 "
                   "AND agent_version IS NOT NULL",
        CHANGE_ROW "'risk', risk, ?7 FROM guests WHERE uuid = ?1 AND risk IS NOT ?7",
        ("UPDATE guests SET verdict = ?3, guest_type = ?4, kernel = ?5, agent_version = ?6, risk = ?7 "
         "WHERE uuid = ?1"),
};

static int run_all(struct db *d, const char *const *sql, size_t n, const char *const *t, size_t nt,
                   const int64_t *i, size_t ni)
{
        int r = 0;

        for (size_t k = 0; k < n && r >= 0; k++)
                r = run(d, sql[k], t, (unsigned)nt, i, (unsigned)ni, NULL);
        return r;
}

/*
 * The guest under its UUID; a guest whose toolstack wrote none has no
 * identity to keep. A domain without agent data is one that was just
 * created (a restart makes a new domain: the agent publishes again once the
 * guest is up), or whose agent is not installed: it changes only presence,
 * name and domid, so that every restart does not write the agent's fields
 * away and back.
 */
static int identity_seen(struct db *d, const struct guest *g, const char *verdict, int64_t now)
{
        const bool agent = g->agent == GUEST_AGENT_OK;
        const char *t[] = { g->uuid, guest_get_name(g), verdict, agent ? guest_get(g, GF_GUEST_TYPE) : NULL,
                            agent ? guest_get(g, GF_KERNEL_RELEASE) : NULL, guest_get(g, GF_AGENT_VERSION),
                            guest_risk_word(guest_risk(g)) };
        int64_t i[] = { g->domid, now };
        _cleanup_free_ char *known = NULL;
        int r;

        if (!g->uuid[0])
                return 0;
        r = run(d, "SELECT uuid FROM guests WHERE uuid = ?", t, 1, NULL, 0, &known);
        if (r >= 0)
                r = run_all(d, presence_sql, ELEMENTSOF(presence_sql), t, ELEMENTSOF(t), i, ELEMENTSOF(i));
        if (r >= 0 && g->agent != GUEST_AGENT_NONE)
                r = run_all(d, agent_sql, ELEMENTSOF(agent_sql), t, ELEMENTSOF(t), i, ELEMENTSOF(i));
        if (r >= 0)
                r = prune_changes(d, g->uuid);
        if (r >= 0 && !known)
                r = prune_identities(d);
        return r;
}

/* The guests stored as present whose domain is not in ids (sorted): gone. */
static int identities_gone(struct db *d, const unsigned *ids, unsigned n, int64_t now)
{
        static const char *const sql[] = {
                "INSERT INTO guest_changes(uuid, name, domid, at, what, old, new) "
                "  SELECT uuid, name, domid, ?2, 'gone', verdict, NULL FROM guests WHERE uuid = ?1",
                "UPDATE guests SET present = 0, updated = ?2 WHERE uuid = ?1",
        };
        char gone[64][PROTO_UUID_LEN + 1];
        unsigned n_gone = 0;
        sqlite3_stmt *st;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(d->db, "SELECT uuid, domid FROM guests WHERE present = 1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && n_gone < ELEMENTSOF(gone)) {
                const char *u = (const char *)sqlite3_column_text(st, 0);

                if (u && strlen(u) == PROTO_UUID_LEN && !contains(ids, n, (unsigned)sqlite3_column_int64(st, 1)))
                        memcpy(gone[n_gone++], u, PROTO_UUID_LEN + 1);
        }
        sqlite3_finalize(st);
        for (unsigned k = 0; k < n_gone && r >= 0; k++)
                for (size_t q = 0; q < ELEMENTSOF(sql) && r >= 0; q++)
                        r = run(d, sql[q], (const char *[]){ gone[k] }, 1, &now, 1, NULL);
        return r;
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
        r = identity_seen(d, g, verdict, now);
        if (r < 0)
                return r;
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
        return r < 0 ? r : identities_gone(d, ids, n, now);
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

int db_open_existing(const char *path, struct db **ret)
{
        if (access(path, F_OK) < 0)
                return log_error_errno(-errno, "No database '%s' (pvh-monitor serve keeps it): %m", path);
        return db_open(path, ret);
}

static const char *col(sqlite3_stmt *st, int i)
{
        return (const char *)sqlite3_column_text(st, i);
}

int db_changes(struct db *d, const struct db_changes_query *q, db_change_fn fn, void *userdata)
{
        /* The newest limit rows that match, given oldest first. */
        sqlite3_stmt *st;
        int rc, r = 0, n = 0;

        rc = sqlite3_prepare_v2(d->db,
                                "SELECT * FROM (SELECT * FROM (SELECT seq, at, uuid, name, domid, what, old, new "
                                "FROM guest_changes WHERE (?1 IS NULL AND ?2 IS NULL AND ?5 IS NULL) OR uuid = ?1 "
                                "OR uuid IN (SELECT uuid FROM guest_changes WHERE name = ?2) "
                                "OR uuid IN (SELECT uuid FROM guests WHERE domid = ?5)) "
                                "WHERE at >= ?3 ORDER BY seq DESC LIMIT ?4) ORDER BY seq",
                                -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        sqlite3_bind_text(st, 1, q->uuid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, q->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, q->since);
        sqlite3_bind_int64(st, 4, q->limit ? (int64_t)q->limit : -1);
        if (q->domid >= 0)
                sqlite3_bind_int64(st, 5, q->domid);
        while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const struct db_change c = {
                        .seq = sqlite3_column_int64(st, 0), .at = sqlite3_column_int64(st, 1),
                        .uuid = col(st, 2), .name = col(st, 3), .domid = sqlite3_column_int64(st, 4),
                        .what = col(st, 5), .old = col(st, 6), .new = col(st, 7),
                };

                r = fn(&c, userdata);
                n++;
        }
        if (r >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = sql_error(d, rc);
        sqlite3_finalize(st);
        return r < 0 ? r : n;
}

/* Requests older than this without an answer are history, not an agent that stopped. */
#define UNANSWERED_WINDOW (24 * 3600)

int db_unanswered(struct db *d, int64_t now, struct metrics_unanswered **ret, unsigned *ret_n)
{
        /* Sent, unanswered, and no later request to the domain answered either. */
        static const char sql[] =
                "SELECT domid, min(sent) FROM requests r WHERE state = 'sent' AND sent >= ?1 "
                "AND NOT EXISTS (SELECT 1 FROM requests a WHERE a.domid = r.domid AND a.seq > r.seq "
                "  AND a.state != 'sent') GROUP BY domid LIMIT 4096";
        struct metrics_unanswered *u = NULL;
        unsigned n = 0;
        sqlite3_stmt *st;
        int rc;

        rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        sqlite3_bind_int64(st, 1, now - UNANSWERED_WINDOW);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct metrics_unanswered *nu = realloc(u, (n + 1) * sizeof(*u));

                if (!nu) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                u = nu;
                u[n].domid = (unsigned)sqlite3_column_int64(st, 0);
                u[n].age = now - sqlite3_column_int64(st, 1);
                if (u[n].age < 0)
                        u[n].age = 0;
                n++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                free(u);
                return rc == SQLITE_NOMEM ? -ENOMEM : sql_error(d, rc);
        }
        *ret = u;
        *ret_n = n;
        return 0;
}

/* ---- the newest migration's progress ----------------------------------------------- */

/* The newest migration's id and state; 0 when there is none. */
static int newest_migration(struct db *d, int64_t *ret_id, char **ret_state)
{
        sqlite3_stmt *st;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(d->db, "SELECT id, state FROM migrations ORDER BY id DESC LIMIT 1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret_id = sqlite3_column_int64(st, 0);
                *ret_state = col(st, 1) ? strdup(col(st, 1)) : NULL;
                r = *ret_state ? 1 : -ENOMEM;
        } else if (rc != SQLITE_DONE)
                r = sql_error(d, rc);
        sqlite3_finalize(st);
        return r;
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

static char *column_dup(sqlite3_stmt *st, int i)
{
        const char *t = col(st, i);

        return t ? strdup(t) : NULL;
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

/* The schema versions that have the trials table, and its column predicted. */
#define SCHEMA_TRIALS 12
#define SCHEMA_TRIALS_PREDICTED 13

int db_trial_get(struct db *d, const char *name, struct gtrial *ret)
{
        const bool predicted = !d->readonly || d->version >= SCHEMA_TRIALS_PREDICTED;
        sqlite3_stmt *st;
        int rc, r = -ENOENT;

        if (d->readonly && d->version < SCHEMA_TRIALS)
                return -ENOENT;
        rc = sqlite3_prepare_v2(d->db,
                                predicted ? "SELECT at, outcome, reason, predicted FROM trials WHERE name = ? "
                                            "ORDER BY at DESC, rowid DESC LIMIT 1"
                                          : "SELECT at, outcome, reason, NULL FROM trials WHERE name = ? "
                                            "ORDER BY at DESC, rowid DESC LIMIT 1",
                                -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = (struct gtrial){
                        .at = sqlite3_column_int64(st, 0),
                        .outcome = column_dup(st, 1),
                        .reason = column_dup(st, 2),
                        .predicted = column_dup(st, 3),
                };
                r = ret->outcome ? 0 : -ENOMEM;
                if (r < 0)
                        gtrial_done(ret);
        } else if (rc != SQLITE_DONE)
                r = sql_error(d, rc);
        sqlite3_finalize(st);
        return r;
}

int db_trial_apply(struct db *d, struct guest *g)
{
        struct gtrial *t = calloc(1, sizeof(*t));
        int r = 0;

        if (!t)
                return -ENOMEM;
        if (d && guest_get_name(g))
                r = db_trial_get(d, guest_get_name(g), t);
        if (r < 0 && r != -ENOENT) {
                free(t);
                return r;
        }
        g->trial = t;
        return 0;
}

/*
 * Every guest name's newest trial, counted by the verdict predicted when it
 * began and its outcome: every pair is given, zeros too, so that the share
 * of "ready" guests whose copy booted is one expression. Words not in the
 * lists (from a newer version, or a damaged row) count as unknown/other.
 */
int db_trial_metrics(struct db *d, FILE *f)
{
        static const char *const predicted[] = { "ready", "fixable", "blocked", "unknown" };
        static const char *const outcomes[] = { "booted", "failed", "refused", "other" };
        int64_t n[ELEMENTSOF(predicted)][ELEMENTSOF(outcomes)] = {};
        const bool have = !d->readonly || d->version >= SCHEMA_TRIALS;
        const bool have_predicted = !d->readonly || d->version >= SCHEMA_TRIALS_PREDICTED;
        sqlite3_stmt *st;
        int rc = SQLITE_DONE;

        if (have) {
                rc = sqlite3_prepare_v2(d->db,
                                        have_predicted
                                                ? "SELECT predicted, outcome FROM trials t WHERE rowid = "
                                                  "(SELECT rowid FROM trials WHERE name = t.name "
                                                  "ORDER BY at DESC, rowid DESC LIMIT 1)"
                                                : "SELECT NULL, outcome FROM trials t WHERE rowid = "
                                                  "(SELECT rowid FROM trials WHERE name = t.name "
                                                  "ORDER BY at DESC, rowid DESC LIMIT 1)",
                                        -1, &st, NULL);
                if (rc != SQLITE_OK)
                        return sql_error(d, rc);
                while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                        const char *p = col(st, 0), *o = col(st, 1);
                        size_t i = ELEMENTSOF(predicted) - 1, k = ELEMENTSOF(outcomes) - 1;

                        for (size_t j = 0; p && j < ELEMENTSOF(predicted) - 1; j++)
                                if (streq(p, predicted[j]))
                                        i = j;
                        for (size_t j = 0; o && j < ELEMENTSOF(outcomes) - 1; j++)
                                if (streq(o, outcomes[j]))
                                        k = j;
                        n[i][k]++;
                }
                sqlite3_finalize(st);
                if (rc != SQLITE_DONE)
                        return sql_error(d, rc);
        }
        metrics_header(f, "pvh_monitor_trials", "gauge",
                       "Guests by their newest trial boot: the verdict predicted when it began, and its outcome.");
        for (size_t i = 0; i < ELEMENTSOF(predicted); i++)
                for (size_t k = 0; k < ELEMENTSOF(outcomes); k++) {
                        const char *l[] = { "predicted", predicted[i], "outcome", outcomes[k] };

                        metrics_sample(f, "pvh_monitor_trials", l, 2, n[i][k]);
                }
        return 0;
}

/* Guests by state, the number of waves, and the wave in progress (the first one not finished). */
static int migration_guests(struct db *d, int64_t id, int64_t count[static _MG_STATE_MAX + 1],
                            int64_t *ret_waves, int64_t *ret_wave)
{
        sqlite3_stmt *st;
        int rc;

        *ret_waves = 0;
        *ret_wave = -1;
        rc = sqlite3_prepare_v2(d->db, "SELECT state, wave FROM migration_guests WHERE migration = ? ORDER BY pos",
                                -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sql_error(d, rc);
        sqlite3_bind_int64(st, 1, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int k = mg_state_from_string(col(st, 0));
                int64_t wave = sqlite3_column_int64(st, 1);

                count[k < 0 ? _MG_STATE_MAX : k]++;
                if (wave >= *ret_waves)
                        *ret_waves = wave + 1;
                if (wave >= 0 && (k == MG_PENDING || k == MG_ACTIVE) && (*ret_wave < 0 || wave < *ret_wave))
                        *ret_wave = wave;
        }
        sqlite3_finalize(st);
        if (*ret_wave < 0)
                *ret_wave = *ret_waves ? *ret_waves - 1 : 0;
        return rc == SQLITE_DONE ? 0 : sql_error(d, rc);
}

int db_migration_metrics(struct db *d, FILE *f)
{
        _cleanup_free_ char *state = NULL;
        int64_t id = 0, count[_MG_STATE_MAX + 1] = {}, waves = 0, wave = 0;
        int r = newest_migration(d, &id, &state);

        if (r <= 0)
                return r;
        r = migration_guests(d, id, count, &waves, &wave);
        if (r < 0)
                return r;
        metrics_header(f, "pvh_migration_id", "gauge", "The newest migration (pvh-monitor migrate).");
        metrics_sample(f, "pvh_migration_id", NULL, 0, id);
        metrics_header(f, "pvh_migration_state", "gauge", "1 for the newest migration's state.");
        for (int k = 0; k < _MIG_STATE_MAX; k++)
                metrics_sample(f, "pvh_migration_state", (const char *[]){ "state", mig_state_to_string(k) }, 1,
                               streq(state, mig_state_to_string(k)));
        metrics_header(f, "pvh_migration_guests", "gauge", "The newest migration's guests by state.");
        for (int k = 0; k < _MG_STATE_MAX; k++)
                metrics_sample(f, "pvh_migration_guests", (const char *[]){ "state", mg_state_to_string(k) }, 1,
                               count[k]);
        metrics_header(f, "pvh_migration_waves", "gauge", "Waves in the newest migration.");
        metrics_sample(f, "pvh_migration_waves", NULL, 0, waves);
        metrics_header(f, "pvh_migration_current_wave", "gauge",
                       "The wave in progress (from 0): the first with a guest pending or active, else the last.");
        metrics_sample(f, "pvh_migration_current_wave", NULL, 0, wave);
        return 0;
}

int db_migration_change(struct db *d, const char *name, const char *old, const char *new, int64_t now)
{
        const char *t[] = { name, old, new };
        int64_t i[] = { now };
        int r = begin(d);

        if (r < 0)
                return r;
        /* The guest's identity seen last under that name: a rebooted domain keeps its UUID. */
        return run(d, "INSERT INTO guest_changes(uuid, name, domid, at, what, old, new) "
                      "SELECT uuid, name, domid, ?4, 'migration', ?2, ?3 FROM guests WHERE name = ?1 "
                      "ORDER BY present DESC, updated DESC LIMIT 1", t, 3, i, 1, NULL);
}

int db_migration_armed(struct db *d)
{
        _cleanup_free_ char *state = NULL;
        int64_t id = 0;
        int r = newest_migration(d, &id, &state);

        return r <= 0 ? r : streq(state, "armed");
}

int db_migration_newest_state(struct db *d, char **ret_state)
{
        int64_t id = 0;

        return newest_migration(d, &id, ret_state);
}

int db_migration_guest_armed(struct db *d, const char *name, unsigned *ret_others)
{
        _cleanup_free_ char *mine = NULL, *others = NULL;
        const char *t[] = { name };
        unsigned n = 0;
        int r;

        r = run(d, "SELECT count(*) FROM migration_guests WHERE state = 'armed' AND name = ?1 AND "
                   "migration = (SELECT max(id) FROM migrations)", t, 1, NULL, 0, &mine);
        if (r >= 0)
                r = run(d, "SELECT count(*) FROM migration_guests WHERE state = 'armed' AND name != ?1 AND "
                           "migration = (SELECT max(id) FROM migrations)", t, 1, NULL, 0, &others);
        if (r < 0)
                return r;
        if (!mine || !others || safe_atou(others, &n) < 0)
                return -EIO;
        *ret_others = n;
        return !streq(mine, "0");
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
