/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "strv.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 10000

struct mdb {
        char *path;
        sqlite3 *db;
        struct db *requests; /* serve's side of the file: the requests sent */
};

static const char *const mig_states[_MIG_STATE_MAX] = {
        [MIG_PLANNED] = "planned", [MIG_RUNNING] = "running", [MIG_STOPPED] = "stopped",
        [MIG_ABORTED] = "aborted", [MIG_DONE] = "done",      [MIG_PARTIAL] = "partial",
        [MIG_FAILED] = "failed",  [MIG_ARMED] = "armed",
};
static const char *const mg_states[_MG_STATE_MAX] = {
        [MG_PENDING] = "pending", [MG_ACTIVE] = "active",   [MG_DONE] = "done",
        [MG_FAILED] = "failed",   [MG_SKIPPED] = "skipped", [MG_CANCELLED] = "cancelled",
        [MG_ARMED] = "armed",     [MG_DISARMED] = "disarmed",
};
static const char *const mg_steps[_MS_MAX] = {
        [MS_NONE] = "none",         [MS_CHECK] = "check",     [MS_PREPARE] = "prepare",
        [MS_READY] = "ready",       [MS_SWITCH] = "switch",   [MS_RESTART] = "restart",
        [MS_VERIFY] = "verify",     [MS_RESTORE] = "restore", [MS_RESTART_PV] = "restart-pv",
        [MS_WAIT_PV] = "wait-pv",   [MS_ROLLBACK] = "rollback", [MS_ARM] = "arm",
};

const char *mig_state_to_string(enum mig_state s)
{
        return mig_states[s];
}

const char *mig_state_text(const struct mig *m)
{
        return m->interrupted ? "interrupted" : mig_state_to_string(m->state);
}

const char *mg_state_to_string(enum mg_state s)
{
        return mg_states[s];
}

const char *mg_step_to_string(enum mg_step s)
{
        return mg_steps[s];
}

static int lookup(const char *const *table, int n, const char *s)
{
        for (int i = 0; s && i < n; i++)
                if (streq(table[i], s))
                        return i;
        return -EINVAL;
}

int mig_state_from_string(const char *s)
{
        return lookup(mig_states, _MIG_STATE_MAX, s);
}

int mg_state_from_string(const char *s)
{
        return lookup(mg_states, _MG_STATE_MAX, s);
}

int mg_step_from_string(const char *s)
{
        return lookup(mg_steps, _MS_MAX, s);
}

void mig_settings_done(struct mig_settings *s)
{
        free(s->xl);
        free(s->toolstack_uri);
        free(s->config);
        free(s->pvgrub);
        free(s->pvhgrub);
        free(s->hook);
        free(s->inspector);
        free(s->console_log);
        free(s->before_guest);
        free(s->after_guest);
        *s = (struct mig_settings){};
}

void mig_done(struct mig *m)
{
        free(m->reason);
        mig_settings_done(&m->s);
        *m = (struct mig){};
}

void mguest_done(struct mguest *g)
{
        free(g->name);
        free(g->config);
        free(g->verdict);
        free(g->boot_id);
        free(g->addrs);
        free(g->request_id);
        free(g->reason);
        *g = (struct mguest){};
}

char *mig_config_path(const char *pattern, const char *name)
{
        size_t n = strlen(pattern) + 1;
        char *out, *o;

        for (const char *p = pattern; *p; p++)
                if (p[0] == '%' && p[1] == 'n')
                        n += strlen(name);
        out = o = malloc(n);
        if (!out)
                return NULL;
        for (const char *p = pattern; *p; p++) {
                if (p[0] == '%' && p[1] == 'n') {
                        o = stpcpy(o, name);
                        p++;
                } else if (p[0] == '%' && p[1] == '%') {
                        *o++ = '%';
                        p++;
                } else
                        *o++ = *p;
        }
        *o = 0;
        return out;
}

bool mig_name_ok(const char *name)
{
        if (!name || !*name || name[0] == '.' || name[0] == '-' || strlen(name) > GUEST_NAME_MAX)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr("._-+", *p)))
                        return false;
        return true;
}

/* ---- SQL ------------------------------------------------------------------ */

static int sql_error(struct mdb *d, int rc)
{
        log_error("Database: %s", sqlite3_errmsg(d->db));
        return rc == SQLITE_NOMEM ? -ENOMEM : rc == SQLITE_BUSY ? -EBUSY : -EIO;
}

static int exec(struct mdb *d, const char *sql)
{
        int rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL);

        return rc == SQLITE_OK ? 0 : sql_error(d, rc);
}

/* The two connections to the file: the requests' (db_open brings the schema up to date) and the journal's. */
static int mdb_connect(struct mdb *d)
{
        int r;

        /* db_open creates the file and brings the schema up to date. */
        r = db_open(d->path, &d->requests);
        if (r < 0)
                return r;
        if (sqlite3_open_v2(d->path, &d->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
                return log_error_errno(-EIO, "Failed to open database '%s'.", d->path);
        sqlite3_busy_timeout(d->db, BUSY_TIMEOUT_MS);
        /* The journal must survive a crash of the machine, not only of the process. */
        return exec(d, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

int mdb_open(const char *path, struct mdb **ret)
{
        struct mdb *d;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->path = strdup(path);
        r = d->path ? mdb_connect(d) : -ENOMEM;
        if (r < 0) {
                mdb_close(d);
                return r;
        }
        *ret = d;
        return 0;
}

void mdb_disconnect(struct mdb *d)
{
        sqlite3_close(d->db);
        d->db = NULL;
        d->requests = db_close(d->requests);
}

int mdb_reconnect(struct mdb *d)
{
        int r;

        mdb_disconnect(d);
        r = mdb_connect(d);
        if (r < 0)
                mdb_disconnect(d);
        return r;
}

struct mdb *mdb_close(struct mdb *d)
{
        if (!d)
                return NULL;
        sqlite3_close(d->db);
        db_close(d->requests);
        free(d->path);
        free(d);
        return NULL;
}


static int prepare(struct mdb *d, const char *sql, sqlite3_stmt **ret)
{
        int rc = sqlite3_prepare_v2(d->db, sql, -1, ret, NULL);

        return rc == SQLITE_OK ? 0 : sql_error(d, rc);
}

static int step_done(struct mdb *d, sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);

        sqlite3_finalize(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_error(d, rc);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
        if (v)
                sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

/* Runs sql, which takes one integer: an id. */
static int exec_id(struct mdb *d, const char *sql, int64_t id)
{
        sqlite3_stmt *st;
        int r = prepare(d, sql, &st);

        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        return step_done(d, st);
}

static char *col_text(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);

        return t ? strdup((const char *)t) : NULL;
}

static int64_t now_s(void)
{
        return (int64_t)time(NULL);
}

static int insert_migration(struct mdb *d, const struct mig *m)
{
        const struct mig_settings *s = &m->s;
        sqlite3_stmt *st;
        int r;

        r = prepare(d, "INSERT INTO migrations(created, updated, state, canary, growth, max_wave, "
                       "max_failures, xl, config, pvgrub, pvhgrub, hook, toolstack_timeout, "
                       "boot_timeout, request_timeout, agentless, inspector, inspect_time, settle, "
                       "console_log, before_guest, after_guest, max_restarts, no_prepare, parallel, "
                       "at_next_reboot, require_trial, toolstack, toolstack_uri, agent_settle) "
                       "VALUES (?1, ?1, 'planned', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                       "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, now_s());
        sqlite3_bind_int(st, 2, (int)s->canary);
        sqlite3_bind_int(st, 3, (int)s->growth);
        sqlite3_bind_int(st, 4, (int)s->max_wave);
        sqlite3_bind_int(st, 5, (int)s->max_failures);
        bind_text(st, 6, s->xl);
        bind_text(st, 7, s->config);
        bind_text(st, 8, s->pvgrub);
        bind_text(st, 9, s->pvhgrub);
        bind_text(st, 10, s->hook);
        sqlite3_bind_int(st, 11, (int)s->toolstack_timeout);
        sqlite3_bind_int(st, 12, (int)s->boot_timeout);
        sqlite3_bind_int(st, 13, (int)s->request_timeout);
        sqlite3_bind_int(st, 14, s->agentless);
        bind_text(st, 15, s->inspector);
        sqlite3_bind_int(st, 16, (int)s->inspect_time);
        sqlite3_bind_int(st, 17, (int)s->settle);
        bind_text(st, 18, s->console_log);
        bind_text(st, 19, s->before_guest);
        bind_text(st, 20, s->after_guest);
        sqlite3_bind_int(st, 21, (int)s->max_restarts);
        sqlite3_bind_int(st, 22, s->no_prepare);
        sqlite3_bind_int(st, 23, (int)s->parallel);
        sqlite3_bind_int(st, 24, s->at_next_reboot);
        sqlite3_bind_int(st, 25, s->require_trial);
        bind_text(st, 26, mts_kind_to_string(s->kind));
        bind_text(st, 27, s->toolstack_uri);
        sqlite3_bind_int(st, 28, (int)s->agent_settle);
        return step_done(d, st);
}

static int write_guest(struct mdb *d, const struct mguest *g, bool insert)
{
        sqlite3_stmt *st;
        int r;

        r = prepare(d, insert ? "INSERT INTO migration_guests(migration, name, pos, wave, config, "
                                "verdict, state, step, step_done, prepared, switched, restarted, "
                                "old_domid, domid, boot_id, addrs, request_id, reason, updated, agentless) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                                "?14, ?15, ?16, ?17, ?18, ?19, ?20)"
                              : "UPDATE migration_guests SET pos = ?3, wave = ?4, config = ?5, "
                                "verdict = ?6, state = ?7, step = ?8, step_done = ?9, prepared = ?10, "
                                "switched = ?11, restarted = ?12, old_domid = ?13, domid = ?14, "
                                "boot_id = ?15, addrs = ?16, request_id = ?17, reason = ?18, "
                                "updated = ?19, agentless = ?20 WHERE migration = ?1 AND name = ?2",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, g->mig);
        bind_text(st, 2, g->name);
        sqlite3_bind_int(st, 3, (int)g->pos);
        sqlite3_bind_int(st, 4, g->wave);
        bind_text(st, 5, g->config);
        bind_text(st, 6, g->verdict);
        bind_text(st, 7, mg_state_to_string(g->state));
        bind_text(st, 8, mg_step_to_string(g->step));
        sqlite3_bind_int(st, 9, g->step_done);
        sqlite3_bind_int(st, 10, g->prepared);
        sqlite3_bind_int(st, 11, g->switched);
        sqlite3_bind_int(st, 12, g->restarted);
        sqlite3_bind_int64(st, 13, g->old_domid);
        sqlite3_bind_int64(st, 14, g->domid);
        bind_text(st, 15, g->boot_id);
        bind_text(st, 16, g->addrs);
        bind_text(st, 17, g->request_id);
        bind_text(st, 18, g->reason);
        sqlite3_bind_int64(st, 19, now_s());
        sqlite3_bind_int(st, 20, g->agentless);
        return step_done(d, st);
}

static int add_event(struct mdb *d, int64_t mig, const char *name, const char *event,
                     const char *detail)
{
        sqlite3_stmt *st;
        int r;

        r = prepare(d, "INSERT INTO migration_events(migration, name, at, event, detail) "
                       "VALUES (?, ?, ?, ?, ?)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, mig);
        bind_text(st, 2, name);
        sqlite3_bind_int64(st, 3, now_s());
        bind_text(st, 4, event);
        bind_text(st, 5, detail);
        return step_done(d, st);
}

static int tx_end(struct mdb *d, int r)
{
        if (r < 0) {
                exec(d, "ROLLBACK");
                return r;
        }
        return exec(d, "COMMIT");
}

int mdb_create(struct mdb *d, const struct mig *m, const struct mguest *g, unsigned n,
               int64_t *ret_id)
{
        int64_t id;
        int r;

        r = exec(d, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = insert_migration(d, m);
        id = sqlite3_last_insert_rowid(d->db);
        for (unsigned i = 0; i < n && r >= 0; i++) {
                struct mguest c = g[i];

                c.mig = id;
                r = write_guest(d, &c, true);
        }
        if (r >= 0)
                r = add_event(d, id, NULL, "planned", NULL);
        r = tx_end(d, r);
        if (r >= 0)
                *ret_id = id;
        return r;
}

int mdb_load(struct mdb *d, int64_t id, struct mig *ret)
{
        struct mig m = {};
        sqlite3_stmt *st;
        int r, rc, kind;

        r = prepare(d, "SELECT id, created, state, reason, abort_requested, canary, growth, "
                       "max_wave, max_failures, xl, config, pvgrub, pvhgrub, hook, "
                       "toolstack_timeout, boot_timeout, request_timeout, agentless, inspector, "
                       "inspect_time, settle, console_log, before_guest, after_guest, max_restarts, "
                       "no_prepare, parallel, at_next_reboot, require_trial, toolstack, toolstack_uri, "
                       "agent_settle FROM migrations "
                       "WHERE id = ?1 OR (?1 = 0 AND id = (SELECT max(id) FROM migrations))",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(st);
                return rc == SQLITE_DONE ? -ENOENT : sql_error(d, rc);
        }
        m.id = sqlite3_column_int64(st, 0);
        m.created = sqlite3_column_int64(st, 1);
        m.state = (enum mig_state)mig_state_from_string((const char *)sqlite3_column_text(st, 2));
        m.reason = col_text(st, 3);
        m.abort_requested = sqlite3_column_int(st, 4);
        m.s.canary = (unsigned)sqlite3_column_int(st, 5);
        m.s.growth = (unsigned)sqlite3_column_int(st, 6);
        m.s.max_wave = (unsigned)sqlite3_column_int(st, 7);
        m.s.max_failures = (unsigned)sqlite3_column_int(st, 8);
        m.s.xl = col_text(st, 9);
        m.s.config = col_text(st, 10);
        m.s.pvgrub = col_text(st, 11);
        m.s.pvhgrub = col_text(st, 12);
        m.s.hook = col_text(st, 13);
        m.s.toolstack_timeout = (unsigned)sqlite3_column_int(st, 14);
        m.s.boot_timeout = (unsigned)sqlite3_column_int(st, 15);
        m.s.request_timeout = (unsigned)sqlite3_column_int(st, 16);
        m.s.agentless = sqlite3_column_int(st, 17);
        m.s.inspector = col_text(st, 18);
        m.s.inspect_time = (unsigned)sqlite3_column_int(st, 19);
        m.s.settle = (unsigned)sqlite3_column_int(st, 20);
        m.s.console_log = col_text(st, 21);
        m.s.before_guest = col_text(st, 22);
        m.s.after_guest = col_text(st, 23);
        m.s.max_restarts = (unsigned)sqlite3_column_int(st, 24);
        m.s.no_prepare = sqlite3_column_int(st, 25);
        m.s.parallel = (unsigned)sqlite3_column_int(st, 26);
        m.s.at_next_reboot = sqlite3_column_int(st, 27);
        m.s.require_trial = sqlite3_column_int(st, 28);
        kind = mts_kind_from_string((const char *)sqlite3_column_text(st, 29));
        m.s.kind = kind < 0 ? MTS_XL : (enum mts_kind)kind;
        m.s.toolstack_uri = col_text(st, 30);
        m.s.agent_settle = (unsigned)sqlite3_column_int(st, 31);
        sqlite3_finalize(st);
        if (m.state == MIG_RUNNING) {
                pid_t holder;

                /* A lock file this user cannot read says nothing either way. */
                m.interrupted = mdb_lock_holder(d->path, &holder) == 0;
        }
        if ((int)m.state < 0 || kind < 0 || !m.s.xl || !m.s.config || !m.s.pvgrub || !m.s.pvhgrub) {
                mig_done(&m);
                return log_error_errno(-EBADMSG, "Migration %" PRId64 " is damaged in the database.",
                                       id);
        }
        *ret = m;
        return 0;
}

static int read_guest(sqlite3_stmt *st, struct mguest *g)
{
        int s, step;

        g->mig = sqlite3_column_int64(st, 0);
        g->pos = (unsigned)sqlite3_column_int(st, 1);
        g->wave = sqlite3_column_int(st, 2);
        g->name = col_text(st, 3);
        g->config = col_text(st, 4);
        g->verdict = col_text(st, 5);
        s = mg_state_from_string((const char *)sqlite3_column_text(st, 6));
        step = mg_step_from_string((const char *)sqlite3_column_text(st, 7));
        g->step_done = sqlite3_column_int(st, 8);
        g->prepared = sqlite3_column_int(st, 9);
        g->switched = sqlite3_column_int(st, 10);
        g->restarted = sqlite3_column_int(st, 11);
        g->old_domid = (unsigned)sqlite3_column_int64(st, 12);
        g->domid = (unsigned)sqlite3_column_int64(st, 13);
        g->boot_id = col_text(st, 14);
        g->addrs = col_text(st, 15);
        g->request_id = col_text(st, 16);
        g->reason = col_text(st, 17);
        g->agentless = sqlite3_column_int(st, 18);
        if (s < 0 || step < 0 || !g->name)
                return -EBADMSG;
        g->state = (enum mg_state)s;
        g->step = (enum mg_step)step;
        return 0;
}

int mdb_guests(struct mdb *d, int64_t mig, struct mguest **ret, unsigned *ret_n)
{
        struct mguest *v = NULL;
        unsigned n = 0;
        sqlite3_stmt *st;
        int r, rc;

        r = prepare(d, "SELECT migration, pos, wave, name, config, verdict, state, step, step_done, "
                       "prepared, switched, restarted, old_domid, domid, boot_id, addrs, "
                       "request_id, reason, agentless FROM migration_guests WHERE migration = ? ORDER BY pos",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, mig);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct mguest *nv = realloc(v, (n + 1) * sizeof(*v));

                if (!nv) {
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                v[n] = (struct mguest){};
                r = read_guest(st, &v[n++]);
                if (r < 0)
                        break;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = sql_error(d, rc);
        sqlite3_finalize(st);
        if (r < 0) {
                for (unsigned i = 0; i < n; i++)
                        mguest_done(&v[i]);
                free(v);
                return r == -EBADMSG ? log_error_errno(r, "A guest of migration %" PRId64
                                                          " is damaged in the database.", mig)
                                     : r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int mdb_set_state(struct mdb *d, struct mig *m)
{
        sqlite3_stmt *st;
        int r;

        r = exec(d, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = prepare(d, "UPDATE migrations SET state = ?, reason = ?, updated = ? WHERE id = ?", &st);
        if (r >= 0) {
                bind_text(st, 1, mig_state_to_string(m->state));
                bind_text(st, 2, m->reason);
                sqlite3_bind_int64(st, 3, now_s());
                sqlite3_bind_int64(st, 4, m->id);
                r = step_done(d, st);
        }
        if (r >= 0)
                r = add_event(d, m->id, NULL, mig_state_to_string(m->state), m->reason);
        return tx_end(d, r);
}

int mdb_request_abort(struct mdb *d, int64_t mig)
{
        return exec_id(d, "UPDATE migrations SET abort_requested = 1 WHERE id = ?", mig);
}

int mdb_abort_requested(struct mdb *d, int64_t mig)
{
        sqlite3_stmt *st;
        int r = prepare(d, "SELECT abort_requested FROM migrations WHERE id = ?", &st), v = 0;

        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, mig);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return v;
}

int mdb_guest_save(struct mdb *d, const struct mguest *g, const char *event, const char *detail)
{
        int r = exec(d, "BEGIN IMMEDIATE");

        if (r < 0)
                return r;
        r = write_guest(d, g, false);
        if (r >= 0 && event)
                r = add_event(d, g->mig, g->name, event, detail);
        return tx_end(d, r);
}

int mdb_times(struct mdb *d, int64_t mig, const char *name, int64_t *ret_start, int64_t *ret_end)
{
        sqlite3_stmt *st;
        int r, rc;

        /* The events say when: a run's "running", a guest's "begin", and their final states. */
        r = prepare(d, "SELECT min(CASE WHEN event IN ('running', 'begin') THEN at END), "
                       "max(CASE WHEN event IN ('done', 'failed', 'skipped', 'cancelled', 'disarmed', 'partial', "
                       "'stopped', 'aborted') THEN at END) FROM migration_events "
                       "WHERE migration = ?1 AND name IS ?2",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, mig);
        bind_text(st, 2, name);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(st);
                return sql_error(d, rc);
        }
        *ret_start = sqlite3_column_int64(st, 0);
        *ret_end = sqlite3_column_int64(st, 1);
        sqlite3_finalize(st);
        return 0;
}

int mdb_ids(struct mdb *d, int64_t **ret, unsigned *ret_n)
{
        _cleanup_free_ int64_t *v = NULL;
        unsigned n = 0;
        sqlite3_stmt *st;
        int r, rc;

        r = prepare(d, "SELECT id FROM migrations ORDER BY id", &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t *nv = realloc(v, (n + 1) * sizeof(*v));

                if (!nv) {
                        sqlite3_finalize(st);
                        return -ENOMEM;
                }
                v = nv;
                v[n++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return sql_error(d, rc);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

int mdb_event(struct mdb *d, int64_t mig, const char *name, const char *event, const char *detail)
{
        return add_event(d, mig, name, event, detail);
}

int mdb_child_set(struct mdb *d, const struct mguest *g, const struct spawn_group *grp)
{
        sqlite3_stmt *st;
        int r;

        r = prepare(d, "UPDATE migration_guests SET child_pgid = ?3, child_start = ?4, child_boot = ?5 "
                       "WHERE migration = ?1 AND name = ?2", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, g->mig);
        bind_text(st, 2, g->name);
        sqlite3_bind_int64(st, 3, grp ? grp->pgid : 0);
        sqlite3_bind_int64(st, 4, grp ? (int64_t)grp->start : 0);
        bind_text(st, 5, grp ? grp->boot_id : NULL);
        return step_done(d, st);
}

int mdb_child_get(struct mdb *d, const struct mguest *g, struct spawn_group *ret)
{
        struct spawn_group grp = {};
        const unsigned char *boot;
        sqlite3_stmt *st;
        int r, rc;

        r = prepare(d, "SELECT child_pgid, child_start, child_boot FROM migration_guests "
                       "WHERE migration = ?1 AND name = ?2", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, g->mig);
        bind_text(st, 2, g->name);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(st);
                return rc == SQLITE_DONE ? 0 : sql_error(d, rc);
        }
        grp.pgid = (pid_t)sqlite3_column_int64(st, 0);
        grp.start = (uint64_t)sqlite3_column_int64(st, 1);
        boot = sqlite3_column_text(st, 2);
        if (boot)
                snprintf(grp.boot_id, sizeof(grp.boot_id), "%s", (const char *)boot);
        sqlite3_finalize(st);
        if (grp.pgid <= 1 || !boot)
                return 0;
        *ret = grp;
        return 1;
}

int mdb_history(struct mdb *d, const char *name, const char *old, const char *new)
{
        int r = db_migration_change(d->requests, name, old, new, now_s());

        return r < 0 ? r : db_commit(d->requests);
}

int mdb_request_sent(struct mdb *d, const char *id, unsigned domid, const char *name,
                     enum proto_action action)
{
        int r = db_request_sent(d->requests, id, domid, name, action, now_s());

        return r < 0 ? r : db_commit(d->requests);
}

/*
 * The lock file names its owner: "PID START BOOT", its start time (clock
 * ticks after boot) and the boot, so that a pid the kernel gave to another
 * process since is not taken for the owner. A run that ends empties it;
 * one that was killed leaves it named. A file with a pid only (an older
 * pvh-monitor's) names that pid, without a start time.
 */
static int lock_owner(int fd, struct spawn_group *ret)
{
        struct spawn_group o = {};
        unsigned long long start;
        char buf[128];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        int pid;

        if (n <= 0)
                return 0;
        buf[n] = 0;
        n = sscanf(buf, "%d %llu %36s", &pid, &start, o.boot_id);
        if (n < 1 || n == 2 || pid <= 0)
                return 0;
        o.pgid = pid;
        o.start = n == 3 ? start : 0;
        *ret = o;
        return 1;
}

static bool owner_alive(const struct spawn_group *o)
{
        struct spawn_group now;

        if (spawn_group_of(o->pgid, &now) < 0)
                return false;
        return !o->start || (now.start == o->start && streq(now.boot_id, o->boot_id));
}

static char *lock_path(const char *db_path)
{
        char *p;

        return asprintf(&p, "%s.migrate-lock", db_path) < 0 ? NULL : p;
}

static void lock_write_owner(int fd, const char *p)
{
        struct spawn_group me;
        char line[128];
        int n;

        if (spawn_group_of(getpid(), &me) < 0) {
                log_debug("Cannot read this process's start time: the lock names no owner.");
                return;
        }
        n = snprintf(line, sizeof(line), "%d %" PRIu64 " %s\n", (int)me.pgid, me.start, me.boot_id);
        if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n)
                log_debug_errno(-errno, "Failed to write the owner into '%s': %m", p);
}

/* Takes the lock file at p (suffix of the database's path): see mdb_lock(). */
static int lock_take(const char *db_path, const char *suffix, const char *what, bool wait, int *ret_fd,
                     pid_t *ret_holder)
{
        _cleanup_free_ char *p = NULL;
        struct spawn_group o;
        int fd;

        if (asprintf(&p, "%s%s", db_path, suffix) < 0)
                return -ENOMEM;
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to open '%s': %m", p);
        if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
                int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

                if (r == -EBUSY && ret_holder)
                        *ret_holder = lock_owner(fd, &o) > 0 && owner_alive(&o) ? o.pgid : 0;
                close(fd);
                return r;
        }
        /* A named owner that let the lock go without emptying it was killed. */
        if (lock_owner(fd, &o) > 0)
                log_warning("The %s lock was left by pid %d, which ended without releasing "
                            "it: that run was interrupted.", what, (int)o.pgid);
        lock_write_owner(fd, p);
        *ret_fd = fd;
        return 0;
}

int mdb_lock(const char *db_path, bool wait, int *ret_fd, pid_t *ret_holder)
{
        return lock_take(db_path, ".migrate-lock", "migration", wait, ret_fd, ret_holder);
}

int mdb_trial_lock(const char *db_path, int *ret_fd, pid_t *ret_holder)
{
        return lock_take(db_path, ".trial-lock", "trial", false, ret_fd, ret_holder);
}

void mdb_unlock(int fd)
{
        if (fd < 0)
                return;
        if (ftruncate(fd, 0) < 0)
                log_debug_errno(-errno, "Failed to empty the lock: %m");
        close(fd);
}

int mdb_lock_holder(const char *db_path, pid_t *ret_pid)
{
        _cleanup_free_ char *p = lock_path(db_path);
        _cleanup_close_ int fd = -1;
        struct spawn_group o;

        if (!p)
                return -ENOMEM;
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (lock_owner(fd, &o) <= 0 || !owner_alive(&o))
                return 0;
        *ret_pid = o.pgid;
        return 1;
}

/* ---- trial boots (trial.c) ----------------------------------------------- */

int mdb_trial_begin(struct mdb *d, const char *name, const char *copy, const char *config, int64_t *ret_id)
{
        sqlite3_stmt *st;
        int r = prepare(d, "INSERT INTO trial_journal(name, copy, config, started) VALUES (?, ?, ?, ?)", &st);

        if (r < 0)
                return r;
        bind_text(st, 1, name);
        bind_text(st, 2, copy);
        bind_text(st, 3, config);
        sqlite3_bind_int64(st, 4, now_s());
        r = step_done(d, st);
        if (r >= 0)
                *ret_id = sqlite3_last_insert_rowid(d->db);
        return r;
}

int mdb_trial_snapshot(struct mdb *d, int64_t id, const char *kind, const char *path, const char *lv)
{
        sqlite3_stmt *st;
        int r = prepare(d, "INSERT INTO trial_snapshots(trial, kind, path, lv) VALUES (?, ?, ?, ?)", &st);

        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, kind);
        bind_text(st, 3, path);
        bind_text(st, 4, lv);
        return step_done(d, st);
}

int mdb_trial_created(struct mdb *d, int64_t id)
{
        return exec_id(d, "UPDATE trial_journal SET created = 1 WHERE id = ?", id);
}

int mdb_trial_end(struct mdb *d, int64_t id)
{
        return exec_id(d, "DELETE FROM trial_journal WHERE id = ?", id);
}

void mtrial_leftovers_free(struct mtrial_leftover *v, unsigned n)
{
        for (unsigned i = 0; v && i < n; i++) {
                free(v[i].copy);
                free(v[i].config);
                for (unsigned k = 0; k < v[i].n_snaps; k++) {
                        free(v[i].snaps[k].kind);
                        free(v[i].snaps[k].path);
                        free(v[i].snaps[k].lv);
                }
        }
        free(v);
}

static int leftover_snaps(struct mdb *d, struct mtrial_leftover *t)
{
        sqlite3_stmt *st;
        int r = prepare(d, "SELECT kind, path, lv FROM trial_snapshots WHERE trial = ? ORDER BY rowid", &st);
        int rc;

        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, t->id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && t->n_snaps < MTRIAL_SNAPS_MAX) {
                struct mtrial_snap *s = &t->snaps[t->n_snaps++];

                s->kind = col_text(st, 0);
                s->path = col_text(st, 1);
                s->lv = col_text(st, 2);
        }
        sqlite3_finalize(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_error(d, rc);
}

int mdb_trial_leftovers(struct mdb *d, struct mtrial_leftover **ret, unsigned *ret_n)
{
        struct mtrial_leftover *v = NULL;
        unsigned n = 0;
        sqlite3_stmt *st;
        int r = prepare(d, "SELECT id, copy, config, created FROM trial_journal ORDER BY id", &st);
        int rc;

        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct mtrial_leftover *nv = realloc(v, (n + 1) * sizeof(*v));

                if (!nv) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                v = nv;
                v[n] = (struct mtrial_leftover){ .id = sqlite3_column_int64(st, 0), .copy = col_text(st, 1),
                                                 .config = col_text(st, 2),
                                                 .created = sqlite3_column_int(st, 3) != 0 };
                n++;
        }
        sqlite3_finalize(st);
        r = rc == SQLITE_DONE ? 0 : sql_error(d, rc);
        for (unsigned i = 0; r >= 0 && i < n; i++)
                r = leftover_snaps(d, &v[i]);
        if (r < 0) {
                mtrial_leftovers_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int mdb_trial_result(struct mdb *d, const char *name, int64_t at, const char *outcome, const char *reason,
                     const char *console, const char *predicted)
{
        sqlite3_stmt *st;
        int r = prepare(d, "INSERT INTO trials(name, at, outcome, reason, console, predicted) "
                           "VALUES (?, ?, ?, ?, ?, ?)", &st);

        if (r < 0)
                return r;
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, at);
        bind_text(st, 3, outcome);
        bind_text(st, 4, reason);
        bind_text(st, 5, console);
        bind_text(st, 6, predicted);
        return step_done(d, st);
}

int mdb_inspection_verdict(struct mdb *d, const char *name, char **ret)
{
        sqlite3_stmt *st;
        int r = prepare(d, "SELECT verdict FROM inspections WHERE name = ?", &st);
        int rc;

        *ret = NULL;
        if (r < 0)
                return r;
        bind_text(st, 1, name);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && !(*ret = col_text(st, 0)) && sqlite3_column_type(st, 0) != SQLITE_NULL)
                rc = SQLITE_NOMEM;
        sqlite3_finalize(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_error(d, rc);
}

/* The newest change of the guest's kernel serve saw, in seconds since the epoch; 0 when none. */
static int kernel_changed(struct mdb *d, const char *name, int64_t *ret)
{
        sqlite3_stmt *st;
        int r = prepare(d, "SELECT coalesce(max(at), 0) FROM guest_changes WHERE name = ? AND what = 'kernel'",
                        &st);
        int rc;

        if (r < 0)
                return r;
        bind_text(st, 1, name);
        rc = sqlite3_step(st);
        *ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : sql_error(d, rc);
}

int mdb_trial_reason(struct mdb *d, const char *name, char **ret)
{
        _cleanup_free_ char *outcome = NULL, *reason = NULL;
        int64_t at = 0, changed = 0;
        sqlite3_stmt *st;
        int r = prepare(d, "SELECT at, outcome, reason FROM trials WHERE name = ? ORDER BY at DESC, rowid DESC "
                           "LIMIT 1", &st);
        int rc;

        if (r < 0)
                return r;
        bind_text(st, 1, name);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                at = sqlite3_column_int64(st, 0);
                outcome = col_text(st, 1);
                reason = col_text(st, 2);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return sql_error(d, rc);
        r = kernel_changed(d, name, &changed);
        if (r < 0)
                return r;
        if (!outcome)
                *ret = strdup("no trial boot (--require-trial; run pvh-monitor trial first)");
        else if (!streq(outcome, "booted"))
                *ret = strdup_printf("its newest trial boot %s: %s", outcome, reason ? reason : "?");
        else if (changed >= at)
                *ret = strdup("its kernel changed since its trial booted (--require-trial; try it again)");
        else
                return 0;
        return *ret ? 0 : -ENOMEM;
}
