/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fleet.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "macro.h"
#include "metrics.h"
#include "monitor.h"
#include "util.h"

#define LISTEN_DEFAULT "127.0.0.1:9671"
#define FLUSH_USEC 500000 /* batched database writes are committed this often */
#define HISTORY_MAX 1000000

struct serve {
        struct xstore *x;
        struct fleet fleet;
        struct db *db;
        struct httpd *http;
        struct loop *loop;
        struct loop_source *http_timer;
        uint64_t watchdog_usec, last_watchdog;
};

struct serve_args {
        const char *db;
        const char *listen;
        unsigned history;
};

static void serve_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor serve [--db FILE] [--listen ADDR:PORT] [--history N]\n"
                   "\n"
                   "Follows every guest, keeps their state, verdict history and requests in a\n"
                   "SQLite database, and serves Prometheus metrics at http://ADDR:PORT/metrics.\n"
                   "  --db FILE          default " DB_DEFAULT_PATH "\n"
                   "  --listen ADDR:PORT an IPv4 address, default " LISTEN_DEFAULT "; port 0 picks one\n"
                   "  --history N        rows of verdict history and of requests kept per domain,\n"
                   "                     the newest (default %u)\n", DB_HISTORY_DEFAULT);
}

static int serve_parse(int argc, char **argv, struct serve_args *a)
{
        static const struct option opts[] = {
                { "db", required_argument, NULL, 'd' },
                { "listen", required_argument, NULL, 'l' },
                { "history", required_argument, NULL, 'H' },
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

/* ---- HTTP ------------------------------------------------------------------- */

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

        metrics_fleet(f, &s->fleet);
        if (db_metrics(s->db, f) < 0)
                log_warning("Failed to read the request counts from the database.");
        if (metrics_inspected(f, s) < 0)
                log_warning("Failed to read the inspections from the database.");
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

static int64_t now_s(void)
{
        return (int64_t)time(NULL);
}

/* After a refresh: every re-read guest to the database, and the domains that went. */
static int sync_db(struct serve *s, bool relisted)
{
        int64_t now = now_s();
        int r = 0;

        for (unsigned i = 0; i < s->fleet.n && r >= 0; i++) {
                const struct fleet_entry *e = &s->fleet.e[i];

                if (!e->changed)
                        continue;
                r = db_guest_seen(s->db, &e->g, now);
                if (r >= 0)
                        r = db_request_seen(s->db, &e->g, now);
        }
        if (r >= 0 && relisted) {
                _cleanup_free_ unsigned *ids = calloc(s->fleet.n ? s->fleet.n : 1, sizeof(*ids));

                if (!ids)
                        return -ENOMEM;
                for (unsigned i = 0; i < s->fleet.n; i++)
                        ids[i] = s->fleet.e[i].domid;
                r = db_guests_gone(s->db, ids, s->fleet.n, now);
        }
        return r;
}

static int refresh(struct serve *s)
{
        bool relisted = s->fleet.list_dirty;
        int r = fleet_refresh(&s->fleet);

        if (r < 0)
                return log_error_errno(r, "Failed to read the guests: %m");
        if (r == 0 && !relisted)
                return 0;
        r = sync_db(s, relisted);
        if (r < 0)
                return log_error_errno(r, "Failed to update the database: %m");
        sd_notifyf(false, "STATUS=Following %u guests.", s->fleet.n);
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
        if (s->watchdog_usec && now - s->last_watchdog >= s->watchdog_usec / 2) {
                sd_notify(false, "WATCHDOG=1");
                s->last_watchdog = now;
        }
        return 0;
}

static int on_xs(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct serve *s = userdata;

        return check(s, fleet_drain(&s->fleet));
}

static int on_signal(struct loop_source *src, int signo, void *userdata)
{
        struct serve *s = userdata;

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
        r = loop_new(&s->loop);
        if (r >= 0)
                r = loop_add_signals(s->loop, &mask, on_signal, s, NULL);
        if (r >= 0)
                r = loop_add_io(s->loop, xstore_fd(s->x), EPOLLIN, on_xs, s, NULL);
        if (r >= 0)
                r = loop_add_io(s->loop, httpd_fd(s->http), EPOLLIN, on_http, s, NULL);
        if (r >= 0)
                r = loop_add_timer(s->loop, on_http, s, &s->http_timer);
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
        db_set_history_max(s->db, a->history);
        r = xstore_open(&s->x);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to xenstore: %m");
        r = fleet_start(&s->fleet, s->x, 0);
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
        if (sd_watchdog_enabled(false, &s->watchdog_usec) <= 0)
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
                                .history = DB_HISTORY_DEFAULT };
        struct serve s = {};
        int r;

        r = serve_parse(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        r = serve_setup(&s, &a);
        if (r >= 0) {
                sd_notifyf(false, "READY=1\nSTATUS=Following %u guests.", s.fleet.n);
                r = loop_run(s.loop);
                sd_notify(false, "STOPPING=1");
        }
        serve_unwind(&s);
        return r < 0 ? EXIT_INTERNAL : 0;
}
