/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fleet.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "macro.h"
#include "metrics.h"
#include "migrate.h"
#include "monitor.h"
#include "notify.h"
#include "spawn.h"
#include "util.h"

#define LISTEN_DEFAULT "127.0.0.1:9671"
#define FLUSH_USEC 500000 /* batched database writes are committed this often */
#define HISTORY_MAX 1000000
#define RECONNECT_USEC 2000000 /* after xenstore went away, try to connect again this often */
/*
 * How often serve asks xenstore something while no event comes: libxenstore
 * does not wake a client that only waits for watch events when its
 * connection ends, only its next request fails.
 */
#define KEEPALIVE_USEC 5000000
/* A resume of armed guests that failed (the migration lock held by another, say) is tried again this often. */
#define RESUME_RETRY_USEC 5000000
/*
 * Changes that came while one ran start the next this long after its end
 * at the earliest: a guest that rewrites its nodes without end does not
 * keep a resume running.
 */
#define RESUME_GAP_USEC 1000000
/* A guest's switch request arms it once in this many seconds at most (--self-service-interval). */
#define SWITCH_INTERVAL_DEFAULT 60
#define SWITCH_INTERVAL_MAX 86400
/* Guests whose last arming is remembered for the interval; beyond, the oldest is forgotten. */
#define SWITCH_RECENT_MAX 64

/*
 * What serve reads of a guest whose nodes changed: the agent's summary (one
 * request) where it writes one, else every key. The metrics, the history
 * and the request counters need nothing the summary leaves out (check
 * reasons and fixes, answer messages, the network).
 */
#define SERVE_READ GUEST_READ_SUMMARY

struct serve {
        struct xstore *x;
        struct fleet fleet;
        struct db *db;
        struct httpd *http;
        struct loop *loop;
        struct loop_source *http_timer;
        struct loop_source *xs_src;    /* xenstore's descriptor, while connected */
        struct loop_source *reconnect; /* armed while not */
        bool connected;
        unsigned long requests_before; /* xenstore requests of the connections that went */
        int64_t last_refresh;          /* when the guests were last read, seconds since the epoch */
        uint64_t watchdog_usec, last_watchdog, last_keepalive;
        const char *db_path;
        pid_t resume;                  /* the migrate resume running for armed guests, 0 none */
        bool resume_wanted;            /* a domain came or went, or a guest changed, since it started */
        struct loop_source *resume_retry;
        bool self_service;             /* --self-service: guests' switch requests are taken */
        bool switch_all;               /* read every guest's switch request once nothing runs */
        unsigned switch_interval;      /* seconds between two armings of one guest */
        struct switch_recent {
                char name[GUEST_NAME_MAX + 1];
                uint64_t at;           /* CLOCK_MONOTONIC, usec; 0: the slot is free */
        } recent[SWITCH_RECENT_MAX];
        /* The answers written, by what was asked and the answer: pvh_monitor_switch_answers_total. */
        uint64_t answers[_PROTO_SWITCH_WANT_MAX][_PROTO_SWITCH_ANSWER_MAX];
        struct switch_job {
                pid_t pid;             /* the migrate command running for a request, 0 none */
                enum { SWITCH_PLAN, SWITCH_RUN, SWITCH_ABORT } stage;
                unsigned domid;
                char name[GUEST_NAME_MAX + 1];
                struct proto_switch req;
        } job;
};

struct serve_args {
        const char *db;
        const char *listen;
        unsigned history;
        bool self_service;
        unsigned switch_interval;
};

static void serve_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor serve [--db FILE] [--listen ADDR:PORT] [--history N] [--self-service]\n"
                   "                         [--self-service-interval S]\n"
                   "\n"
                   "Follows every guest, keeps their state, verdict history and requests in a\n"
                   "SQLite database, and serves Prometheus metrics at http://ADDR:PORT/metrics.\n"
                   "  --db FILE          default " DB_DEFAULT_PATH "\n"
                   "  --listen ADDR:PORT an IPv4 address, default " LISTEN_DEFAULT "; port 0 picks one\n"
                   "  --history N        rows of verdict history and of requests kept per domain,\n"
                   "                     the newest (default %u)\n"
                   "  --self-service     take guests' requests to switch at their next boot\n"
                   "                     (pvh-agent switch): arm a ready guest with the newest\n"
                   "                     migration's settings, or disarm it (default: refuse)\n"
                   "  --self-service-interval S\n"
                   "                     arm one guest once in S seconds at most; a request\n"
                   "                     sooner is answered busy (default %u, 0: no limit)\n",
                DB_HISTORY_DEFAULT, SWITCH_INTERVAL_DEFAULT);
}

static int serve_parse(int argc, char **argv, struct serve_args *a)
{
        static const struct option opts[] = {
                { "db", required_argument, NULL, 'd' },
                { "listen", required_argument, NULL, 'l' },
                { "history", required_argument, NULL, 'H' },
                { "self-service", no_argument, NULL, 'S' },
                { "self-service-interval", required_argument, NULL, 'I' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'd':
                        a->db = optarg;
                        break;
                case 'l':
                        a->listen = optarg;
                        break;
                case 'H':
                        if (safe_atou(optarg, &a->history) < 0 || a->history == 0 ||
                            a->history > HISTORY_MAX)
                                return log_error_errno(-EINVAL, "Bad --history '%s': want 1..%u.",
                                                       optarg, HISTORY_MAX);
                        break;
                case 'S':
                        a->self_service = true;
                        break;
                case 'I':
                        if (safe_atou(optarg, &a->switch_interval) < 0 || a->switch_interval > SWITCH_INTERVAL_MAX)
                                return log_error_errno(-EINVAL, "Bad --self-service-interval '%s': want 0..%u.",
                                                       optarg, SWITCH_INTERVAL_MAX);
                        break;
                case 'h':
                        serve_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "serve takes no arguments.");
        return 1;
}

static int parse_listen(const char *s, struct sockaddr_in *ret)
{
        char host[64];
        const char *colon = strrchr(s, ':');
        unsigned port;

        if (!colon || (size_t)(colon - s) >= sizeof(host) || safe_atou(colon + 1, &port) < 0 ||
            port > 65535)
                return -EINVAL;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
        *ret = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
        return inet_pton(AF_INET, host, &ret->sin_addr) == 1 ? 0 : -EINVAL;
}

static int64_t now_s(void)
{
        return (int64_t)time(NULL);
}

/* ---- HTTP ------------------------------------------------------------------- */

static void metric(FILE *f, const char *name, const char *type, const char *help, int64_t v)
{
        metrics_header(f, name, type, help);
        metrics_sample(f, name, NULL, 0, v);
}

/* serve's own state: its version, xenstore, and what this scrape could not read. */
static void serve_metrics(FILE *f, const struct serve *s, bool db_failed)
{
        metrics_header(f, "pvh_monitor_build_info", "gauge", "The version of pvh-monitor serving.");
        metrics_sample(f, "pvh_monitor_build_info", (const char *[]){ "version", PACKAGE_VERSION }, 1, 1);
        metric(f, "pvh_monitor_xenstore_connected", "gauge",
               "1 while serve is connected to xenstore; 0: the guests shown are the last ones read.",
               s->connected);
        metric(f, "pvh_monitor_last_refresh_timestamp_seconds", "gauge",
               "When serve last read the guests from xenstore.", s->last_refresh);
        metric(f, "pvh_monitor_xenstore_requests_total", "counter",
               "Requests serve sent to xenstored since it started: its load on the host's xenstored.",
               (int64_t)(s->requests_before + (s->x ? xstore_requests(s->x) : 0)));
        metrics_header(f, "pvh_monitor_scrape_errors", "gauge",
                       "1 when this scrape could not read a part: its series are missing or stale.");
        metrics_sample(f, "pvh_monitor_scrape_errors", (const char *[]){ "part", "database" }, 1, db_failed);
        metrics_sample(f, "pvh_monitor_scrape_errors", (const char *[]){ "part", "xenstore" }, 1, !s->connected);
        metrics_header(f, "pvh_monitor_switch_answers_total", "counter",
                       "Answers to guests' own switch requests since serve started, by request and answer.");
        for (int w = 0; w < _PROTO_SWITCH_WANT_MAX; w++)
                for (int k = 0; k < _PROTO_SWITCH_ANSWER_MAX; k++) {
                        const char *l[] = { "want", proto_switch_want_to_string((enum proto_switch_want)w),
                                            "answer", proto_switch_answer_to_string((enum proto_switch_answer)k) };

                        metrics_sample(f, "pvh_monitor_switch_answers_total", l, 2, (int64_t)s->answers[w][k]);
                }
}

/* Guests without an agent, by the verdict of their disks' last inspection (pvh-monitor inspect). */
static int metrics_inspected(FILE *m, struct serve *s)
{
        static const char *const words[] = { "ready", "fixable", "blocked", "unknown", "error" };
        int64_t n[ELEMENTSOF(words)] = {};

        for (unsigned i = 0; i < s->fleet.n; i++) {
                const struct guest *g = fleet_guest(&s->fleet, i);
                struct db_inspection in;
                int r;

                if (g->agent != GUEST_AGENT_NONE || !guest_get_name(g))
                        continue;
                r = db_inspection_get(s->db, guest_get_name(g), &in);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                for (size_t k = 0; k < ELEMENTSOF(words); k++)
                        if (streq(in.verdict, words[k]))
                                n[k]++;
                db_inspection_done(&in);
        }
        metrics_header(m, "pvh_monitor_inspected_guests", "gauge",
                       "Guests without an agent, by the verdict of their disks' last inspection.");
        for (size_t k = 0; k < ELEMENTSOF(words); k++) {
                const char *l[] = { "verdict", words[k] };

                metrics_sample(m, "pvh_monitor_inspected_guests", l, 1, n[k]);
        }
        return 0;
}

static int render_metrics(FILE *f, void *userdata)
{
        struct serve *s = userdata;
        _cleanup_free_ struct metrics_unanswered *u = NULL;
        unsigned n_u = 0;
        bool db_failed = false;

        metrics_fleet(f, &s->fleet);
        if (db_unanswered(s->db, now_s(), &u, &n_u) < 0)
                db_failed = true;
        if (metrics_guests(f, &s->fleet, u, n_u) < 0)
                return -ENOMEM;
        if (db_metrics(s->db, f) < 0 || db_migration_metrics(s->db, f) < 0 || metrics_inspected(f, s) < 0 ||
            db_trial_metrics(s->db, f) < 0)
                db_failed = true;
        if (db_failed)
                log_warning("Failed to read the database for the metrics.");
        serve_metrics(f, s, db_failed);
        return 0;
}

static int http_start(struct serve *s, const char *listen)
{
        struct sockaddr_in sa;
        int r;

        if (parse_listen(listen, &sa) < 0)
                return log_error_errno(-EINVAL, "Bad --listen '%s': want IPV4:PORT.", listen);
        r = httpd_start(&sa, render_metrics, s, &s->http);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s.", listen);
        log_info("Serving metrics on http://%s:%u/metrics.", inet_ntoa(sa.sin_addr),
                 httpd_port(s->http));
        return 0;
}

/* ---- the loop --------------------------------------------------------------- */

/*
 * After a refresh: the domains that went, then every re-read guest to the
 * database. In that order, a restart seen in one refresh (the old domain
 * destroyed, the new one created) reads in the history as it happened.
 */
static int sync_db(struct serve *s, bool relisted)
{
        int64_t now = now_s();
        int r = 0;

        if (relisted) {
                _cleanup_free_ unsigned *ids = calloc(s->fleet.n ? s->fleet.n : 1, sizeof(*ids));

                if (!ids)
                        return -ENOMEM;
                for (unsigned i = 0; i < s->fleet.n; i++)
                        ids[i] = s->fleet.e[i].domid;
                r = db_guests_gone(s->db, ids, s->fleet.n, now);
        }
        for (unsigned i = 0; i < s->fleet.n && r >= 0; i++) {
                const struct fleet_entry *e = &s->fleet.e[i];

                if (!e->changed)
                        continue;
                r = db_guest_seen(s->db, &e->g, now);
                if (r >= 0)
                        r = db_request_seen(s->db, &e->g, now);
        }
        return r;
}

/*
 * xenstore went away (xenstored restarted, say): serve goes on serving the
 * last guests it read, says so in pvh_monitor_xenstore_connected, and tries
 * to connect again every RECONNECT_USEC.
 */
static int xs_lost(struct serve *s, int r)
{
        if (r == -ENOMEM)
                return r;
        log_warning_errno(r, "Lost xenstore (%m): serving the last guests read, connecting again.");
        loop_source_remove(s->xs_src);
        s->xs_src = NULL;
        s->connected = false;
        return loop_timer_set(s->reconnect, RECONNECT_USEC, RECONNECT_USEC);
}

static int switch_scan(struct serve *s, bool all);

static int refresh(struct serve *s)
{
        bool relisted = s->fleet.list_dirty;
        int r;

        if (!s->connected)
                return 0;
        r = fleet_refresh(&s->fleet);
        if (r < 0)
                return xs_lost(s, r);
        s->last_refresh = now_s();
        if (r == 0 && !relisted)
                return 0;
        s->resume_wanted = true;
        r = sync_db(s, relisted);
        if (r < 0)
                return log_error_errno(r, "Failed to update the database: %m");
        r = switch_scan(s, false);
        if (r < 0)
                return r;
        notify_sendf("STATUS=Following %u guests.", s->fleet.n);
        return 0;
}

/* A handler's failure ends the loop, and with it serve. */
static int check(struct serve *s, int r)
{
        if (r < 0) {
                log_error_errno(r, "Event handling failed: %m");
                loop_quit(s->loop, r);
        }
        return r;
}

static int on_flush(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct serve *s = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r = db_commit(s->db);

        if (r < 0)
                return check(s, r);
        if (s->connected && now - s->last_keepalive >= KEEPALIVE_USEC) {
                s->last_keepalive = now;
                r = xstore_exists(s->x, "/local/domain");
                if (r < 0 && r != -ENOENT && (r = xs_lost(s, r)) < 0)
                        return check(s, r);
        }
        if (s->watchdog_usec && now - s->last_watchdog >= s->watchdog_usec / 2) {
                notify_send("WATCHDOG=1");
                s->last_watchdog = now;
        }
        return 0;
}

static int on_xs(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct serve *s = userdata;
        int r = fleet_drain(&s->fleet);

        return check(s, r < 0 ? xs_lost(s, r) : 0);
}

/* A new connection and a new fleet; the old ones go only once the new ones work. */
static int on_reconnect(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct serve *s = userdata;
        struct xstore *x = NULL;
        struct fleet f;
        int r;

        if (xstore_open(&x) < 0)
                return 0;
        r = fleet_start(&f, x, SERVE_READ);
        if (r >= 0)
                r = loop_add_io(s->loop, xstore_fd(x), EPOLLIN, on_xs, s, &src);
        if (r < 0) {
                fleet_done(&f);
                xstore_close(x);
                return r == -ENOMEM ? check(s, r) : 0;
        }
        fleet_done(&s->fleet);
        s->requests_before += xstore_requests(s->x);
        xstore_close(s->x);
        s->x = x;
        s->fleet = f;
        s->xs_src = src;
        s->connected = true;
        log_info("Connected to xenstore again.");
        return check(s, loop_timer_disarm(s->reconnect));
}

/* ---- guests armed for their next reboot ------------------------------------------ */

/*
 * A migration planned --at-next-reboot leaves its guests armed: when one
 * restarts (the domain list changed) or its verdict changes, serve runs
 * "pvh-monitor migrate resume", which verifies the rebooted guests, puts
 * back on PV those that fail, and disarms those now blocked. It runs in a
 * process of its own, under the migration lock, and outlives a serve that
 * is killed: its journal is what a restarted serve resumes from.
 */
/*
 * Runs this program with argv in the background: its output (JSON lines
 * or tables) goes where serve logs, and serve's sockets stay serve's.
 */
static int serve_spawn(char *const argv[], pid_t *ret_pid)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n < 0)
                return log_error_errno(-errno, "Failed to find this program: %m");
        exe[n] = 0;
        return spawn_start(exe, argv, STDERR_FILENO, ret_pid);
}

static int resume_start(struct serve *s)
{
        char *argv[] = { (char *)"pvh-monitor", (char *)"migrate", (char *)"resume", (char *)"--json",
                         (char *)"--db", (char *)s->db_path, NULL };
        pid_t pid;
        int r;

        r = serve_spawn(argv, &pid);
        if (r < 0)
                return log_error_errno(r, "Failed to start migrate resume: %m");
        log_info("Armed guests changed: running migrate resume (pid %d).", (int)pid);
        s->resume = pid;
        s->resume_wanted = false;
        return 0;
}

static int resume_maybe(struct serve *s)
{
        int r;

        if (!s->resume_wanted || s->resume || s->job.pid)
                return 0;
        r = db_migration_armed(s->db);
        if (r <= 0) {
                s->resume_wanted = r < 0;
                return 0;
        }
        return resume_start(s);
}

/* migrate resume ended with status: again when changes came meanwhile, or after a while when it failed. */
static int resume_ended(struct serve *s, int status)
{
        s->resume = 0;
        /* Requests of guests that waited for it. */
        s->switch_all = true;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                if (!s->resume_wanted)
                        return 0;
                s->resume_wanted = false;
                return loop_timer_set(s->resume_retry, RESUME_GAP_USEC, 0);
        }
        /* Also when the migration ended partial or failed: then nothing is armed to resume. */
        log_info("migrate resume ended with %s %d: again in %u s while guests are armed.",
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), RESUME_RETRY_USEC / 1000000);
        return loop_timer_set(s->resume_retry, RESUME_RETRY_USEC, 0);
}

static int switch_ended(struct serve *s, int status);

/* Every child that ended: migrate resume, or a switch request's command. */
static int reap(struct serve *s)
{
        int status, r = 0;
        pid_t pid;

        while (r >= 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid == s->resume)
                        r = resume_ended(s, status);
                else if (pid == s->job.pid)
                        r = switch_ended(s, status);
        }
        return r;
}

static int on_resume_retry(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct serve *s = userdata;

        s->resume_wanted = true;
        return 0;
}

/* ---- the owners' requests to switch at the next boot --------------------------- */

/*
 * A guest's owner asks with pvh-agent switch (~/data/pvh/switch, see
 * PROTOCOL.md); serve answers each request once, in ~/control/pvh/switch.
 * Arming is migrate plan --at-next-reboot --same-settings NAME, then
 * migrate run; disarming is migrate abort: the migration's own steps,
 * journal and lock, in processes of their own, one at a time.
 */
static int switch_answer(struct serve *s, unsigned domid, const struct proto_switch *req,
                         enum proto_switch_answer a, const char *why)
{
        struct proto_switch ans = { .id = req->id, .word = (int)a };
        char buf[PROTO_SWITCH_MAX + 1];
        int n = proto_switch_answer_encode(&ans, buf, sizeof(buf)), r;

        if (n < 0)
                return -EINVAL;
        r = xstore_write_answer(s->x, domid, PROTO_KEY_SWITCH_ANSWER, buf, (size_t)n);
        if (r < 0)
                return log_warning_errno(r, "Domain %u: failed to answer switch request %s: %m", domid,
                                         req->id.s), 0;
        if (req->word >= 0 && req->word < _PROTO_SWITCH_WANT_MAX && (int)a < _PROTO_SWITCH_ANSWER_MAX)
                s->answers[req->word][a]++;
        log_info("Domain %u: switch request %s (%s): %s%s%s.", domid, req->id.s,
                 proto_switch_want_to_string((enum proto_switch_want)req->word),
                 proto_switch_answer_to_string(a), why ? ": " : "", why ? why : "");
        return 0;
}

/* Seconds until the guest may be armed again; 0: now. */
static unsigned switch_recent_wait(const struct serve *s, const char *name)
{
        const uint64_t now = now_usec(CLOCK_MONOTONIC), span = (uint64_t)s->switch_interval * 1000000;

        for (size_t i = 0; span && i < ELEMENTSOF(s->recent); i++)
                if (s->recent[i].at && now - s->recent[i].at < span && streq(s->recent[i].name, name))
                        return (unsigned)((span - (now - s->recent[i].at) + 999999) / 1000000);
        return 0;
}

/* Remembers that the guest is being armed now: in its own slot, a free one, or the oldest. */
static void switch_recent_note(struct serve *s, const char *name)
{
        size_t k = 0;

        for (size_t i = 0; i < ELEMENTSOF(s->recent); i++) {
                if (s->recent[i].at && streq(s->recent[i].name, name)) {
                        k = i;
                        break;
                }
                if (s->recent[i].at < s->recent[k].at)
                        k = i;
        }
        snprintf(s->recent[k].name, sizeof(s->recent[k].name), "%s", name);
        s->recent[k].at = now_usec(CLOCK_MONOTONIC);
}

static int switch_start(struct serve *s, int stage)
{
        char *plan[] = { (char *)"pvh-monitor", (char *)"migrate", (char *)"plan", (char *)"--db",
                         (char *)s->db_path, (char *)"--at-next-reboot", (char *)"--same-settings",
                         (char *)"--", s->job.name, NULL };
        char *run[] = { (char *)"pvh-monitor", (char *)"migrate", (char *)"run", (char *)"--json",
                        (char *)"--db", (char *)s->db_path, NULL };
        char *abort_[] = { (char *)"pvh-monitor", (char *)"migrate", (char *)"abort", (char *)"--json",
                           (char *)"--db", (char *)s->db_path, NULL };
        int r;

        s->job.stage = stage;
        if (stage == SWITCH_PLAN)
                switch_recent_note(s, s->job.name);
        r = serve_spawn(stage == SWITCH_PLAN ? plan : stage == SWITCH_RUN ? run : abort_, &s->job.pid);
        if (r < 0) {
                s->job.pid = 0;
                log_error_errno(r, "Failed to start migrate: %m");
                return switch_answer(s, s->job.domid, &s->job.req, PROTO_SWITCH_FAILED, "migrate did not start");
        }
        log_info("Domain %u (%s): switch request %s: running migrate %s (pid %d).", s->job.domid, s->job.name,
                 s->job.req.id.s, stage == SWITCH_PLAN ? "plan" : stage == SWITCH_RUN ? "run" : "abort",
                 (int)s->job.pid);
        return 0;
}

/* The domain is still the one the request came from: an answer never lands in another's home. */
static bool switch_domain_same(struct serve *s)
{
        for (unsigned i = 0; i < s->fleet.n; i++) {
                const char *name = guest_get_name(&s->fleet.e[i].g);

                if (s->fleet.e[i].domid == s->job.domid)
                        return name && streq(name, s->job.name);
        }
        return false;
}

static int switch_ended(struct serve *s, int status)
{
        bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        unsigned others = 0;
        int r;

        s->job.pid = 0;
        s->switch_all = true;
        if (ok && s->job.stage == SWITCH_PLAN)
                return switch_start(s, SWITCH_RUN);
        if (!switch_domain_same(s))
                return 0;
        if (s->job.stage == SWITCH_ABORT)
                return switch_answer(s, s->job.domid, &s->job.req, ok ? PROTO_SWITCH_DISARMED : PROTO_SWITCH_FAILED,
                                     ok ? NULL : "migrate abort failed");
        r = db_migration_guest_armed(s->db, s->job.name, &others);
        if (r < 0)
                return log_error_errno(r, "Failed to read the migration: %m");
        return switch_answer(s, s->job.domid, &s->job.req, r ? PROTO_SWITCH_ARMED : PROTO_SWITCH_FAILED,
                             r ? NULL : s->job.stage == SWITCH_PLAN ? "migrate plan refused it" : "migrate run did not arm it");
}

/* Whether another migration holds the host: one planned, running or with guests armed. */
static int switch_host_busy(struct serve *s, const char **ret_why)
{
        _cleanup_free_ char *state = NULL;
        int r = db_migration_newest_state(s->db, &state);

        if (r < 0)
                return r;
        if (r == 0) {
                *ret_why = "no migration to take the settings of";
                return -ENOENT;
        }
        *ret_why = "another migration is planned, running or armed";
        return streq(state, "planned") || streq(state, "running") || streq(state, "armed");
}

/* The request of one guest, decoded: 1 when it is one to answer, 0 none or answered. */
static int switch_read(struct serve *s, unsigned domid, struct proto_switch *ret)
{
        _cleanup_free_ char *v = NULL, *a = NULL;
        char path[PROTO_DOMAIN_PATH_MAX];
        struct proto_switch ans;
        size_t len;
        int r;

        proto_domain_key_path(domid, PROTO_KEY_SWITCH_REQUEST, NULL, path, sizeof(path));
        r = xstore_read(s->x, path, PROTO_SWITCH_MAX, &v, &len);
        if (r == -ENOENT)
                return 0;
        if (r == -E2BIG)
                return log_warning("Domain %u: switch request longer than %u bytes: ignored.", domid,
                                   PROTO_SWITCH_MAX), 0;
        if (r < 0)
                return 0; /* the connection: the next refresh says */
        r = proto_switch_request_decode(v, len, ret);
        if (r < 0)
                return log_warning("Domain %u: invalid switch request (%s): ignored.", domid,
                                   proto_error_name(r)), 0;
        proto_domain_key_path(domid, PROTO_KEY_SWITCH_ANSWER, NULL, path, sizeof(path));
        r = xstore_read(s->x, path, PROTO_SWITCH_MAX, &a, &len);
        if (r >= 0 && proto_switch_answer_decode(a, len, &ans) >= 0 && streq(ans.id.s, ret->id.s))
                return 0;
        return 1;
}

static int switch_one(struct serve *s, const struct guest *g, unsigned domid)
{
        const char *name = guest_get_name(g), *why = NULL;
        struct proto_switch req;
        unsigned others = 0, wait;
        char soon[96];
        int r;

        r = switch_read(s, domid, &req);
        if (r <= 0)
                return r;
        if (!s->self_service)
                return switch_answer(s, domid, &req, PROTO_SWITCH_NOT_ALLOWED, "serve runs without --self-service");
        if (!mig_name_ok(name))
                return switch_answer(s, domid, &req, PROTO_SWITCH_FAILED, "the domain's name is not usable");
        r = db_migration_guest_armed(s->db, name, &others);
        if (r < 0)
                return log_error_errno(r, "Failed to read the migration: %m");
        if (req.word == PROTO_SWITCH_CANCEL && r == 0)
                return switch_answer(s, domid, &req, PROTO_SWITCH_DISARMED, "it was not armed");
        if (req.word == PROTO_SWITCH_CANCEL && others > 0)
                return switch_answer(s, domid, &req, PROTO_SWITCH_BUSY, "armed with other guests by the host");
        if (req.word == PROTO_SWITCH_AT_NEXT_BOOT && r == 1)
                return switch_answer(s, domid, &req, PROTO_SWITCH_ARMED, "armed already");
        if (req.word == PROTO_SWITCH_AT_NEXT_BOOT) {
                if (!streq(guest_verdict_word(g), "ready"))
                        return switch_answer(s, domid, &req, PROTO_SWITCH_NOT_READY, guest_verdict_word(g));
                r = switch_host_busy(s, &why);
                if (r == -ENOENT)
                        return switch_answer(s, domid, &req, PROTO_SWITCH_NOT_ALLOWED, why);
                if (r < 0)
                        return log_error_errno(r, "Failed to read the migration: %m");
                if (r > 0)
                        return switch_answer(s, domid, &req, PROTO_SWITCH_BUSY, why);
                wait = switch_recent_wait(s, name);
                if (wait > 0) {
                        snprintf(soon, sizeof(soon), "armed less than %u s ago: ask again in %u s",
                                 s->switch_interval, wait);
                        return switch_answer(s, domid, &req, PROTO_SWITCH_BUSY, soon);
                }
        }
        s->job = (struct switch_job){ .domid = domid, .req = req };
        snprintf(s->job.name, sizeof(s->job.name), "%s", name);
        return switch_start(s, req.word == PROTO_SWITCH_CANCEL ? SWITCH_ABORT : SWITCH_PLAN);
}

/*
 * The guests whose nodes changed (all: every guest), until one request
 * starts a command; while one runs, or migrate resume does, the others
 * wait, and are all read again once it ended.
 */
static int switch_scan(struct serve *s, bool all)
{
        if (s->job.pid || s->resume) {
                s->switch_all = true;
                return 0;
        }
        if (all)
                s->switch_all = false;
        for (unsigned i = 0; i < s->fleet.n && !s->job.pid; i++) {
                const struct fleet_entry *e = &s->fleet.e[i];
                int r;

                if ((!all && !e->changed) || e->g.agent != GUEST_AGENT_OK)
                        continue;
                r = switch_one(s, &e->g, e->domid);
                if (r < 0)
                        return r;
        }
        if (s->job.pid)
                s->switch_all = true;
        return 0;
}

static int on_signal(struct loop_source *src, int signo, void *userdata)
{
        struct serve *s = userdata;

        if (signo == SIGCHLD)
                return check(s, reap(s));
        log_info("Stopping on signal %d.", signo);
        loop_quit(s->loop, 0);
        return 0;
}

/* The HTTP server: run when its descriptor is readable and when its timeout is due. */
static int on_http(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct serve *s = userdata;

        return check(s, httpd_run(s->http));
}

static int http_arm(struct serve *s)
{
        uint64_t usec;

        if (httpd_timeout(s->http, &usec) == 0)
                return loop_timer_disarm(s->http_timer);
        return loop_timer_set(s->http_timer, usec, 0);
}

/* Before each wait: what the handlers marked goes to the database, and MHD's timeout is armed. */
static int on_prepare(struct loop *l, void *userdata)
{
        struct serve *s = userdata;

        if (refresh(s) < 0)
                return -EIO;
        if (s->switch_all && s->connected && switch_scan(s, true) < 0)
                return -EIO;
        if (resume_maybe(s) < 0)
                return -EIO;
        return http_arm(s);
}

static int setup_loop(struct serve *s)
{
        struct loop_source *flush;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        r = loop_new(&s->loop);
        if (r >= 0)
                r = loop_add_signals(s->loop, &mask, on_signal, s, NULL);
        if (r >= 0)
                r = loop_add_io(s->loop, xstore_fd(s->x), EPOLLIN, on_xs, s, &s->xs_src);
        if (r >= 0)
                r = loop_add_timer(s->loop, on_reconnect, s, &s->reconnect);
        if (r >= 0)
                r = loop_add_io(s->loop, httpd_fd(s->http), EPOLLIN, on_http, s, NULL);
        if (r >= 0)
                r = loop_add_timer(s->loop, on_http, s, &s->http_timer);
        if (r >= 0)
                r = loop_add_timer(s->loop, on_resume_retry, s, &s->resume_retry);
        if (r >= 0)
                r = loop_add_timer(s->loop, on_flush, s, &flush);
        if (r >= 0)
                r = loop_timer_set(flush, FLUSH_USEC, FLUSH_USEC);
        if (r >= 0)
                loop_set_prepare(s->loop, on_prepare, s);
        return r;
}

static int serve_setup(struct serve *s, const struct serve_args *a)
{
        int r;

        r = db_open(a->db, &s->db);
        if (r < 0)
                return r;
        s->db_path = a->db;
        s->self_service = a->self_service;
        s->switch_interval = a->switch_interval;
        /* Guests armed before serve started may have rebooted meanwhile. */
        s->resume_wanted = true;
        db_set_history_max(s->db, a->history);
        r = xstore_open(&s->x);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to xenstore: %m");
        s->connected = true;
        r = fleet_start(&s->fleet, s->x, SERVE_READ);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the domains: %m");
        r = http_start(s, a->listen);
        if (r < 0)
                return r;
        r = setup_loop(s);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");
        r = refresh(s);
        if (r >= 0)
                r = db_commit(s->db);
        if (notify_watchdog_usec(&s->watchdog_usec) <= 0)
                s->watchdog_usec = 0;
        return r;
}

static void serve_unwind(struct serve *s)
{
        s->loop = loop_free(s->loop);
        s->http = httpd_stop(s->http);
        fleet_done(&s->fleet);
        xstore_close(s->x);
        db_close(s->db);
}

int cmd_serve(int argc, char **argv)
{
        struct serve_args a = { .db = DB_DEFAULT_PATH, .listen = LISTEN_DEFAULT,
                                .switch_interval = SWITCH_INTERVAL_DEFAULT,
                                .history = DB_HISTORY_DEFAULT };
        struct serve s = {};
        int r;

        r = serve_parse(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        r = serve_setup(&s, &a);
        if (r >= 0) {
                notify_sendf("READY=1\nSTATUS=Following %u guests.", s.fleet.n);
                r = loop_run(s.loop);
                notify_send("STOPPING=1");
        }
        serve_unwind(&s);
        return r < 0 ? EXIT_INTERNAL : 0;
}
