/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "fleet.h"
#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

struct watch_args {
        struct view_args v;
        unsigned count; /* exit after this many redraws; 0: never */
};

static void watch_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor watch [--json] [--color=WHEN] [--count N] [--wide]\n"
                   "                         [--filter KEY=VALUE] [--exclude KEY=VALUE] [--sort KEY]\n"
                   "\n"
                   "The status table under a line with the time and the counts, redrawn whenever\n"
                   "a guest's published state changes, a domain comes or goes, or the terminal is\n"
                   "resized. Without a terminal, each redraw is printed in full followed by an\n"
                   "empty line; with --json, one JSON array per line (no time line).\n"
                   "  --count N   exit after N redraws\n"
                   "--wide, --filter, --exclude and --sort as for status (%s).\n",
                filter_keys());
}

static int watch_parse(int argc, char **argv, struct watch_args *a)
{
        static const struct option opts[] = {
                VIEW_OPTIONS,
                { "count", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "hw", opts, NULL)) >= 0) {
                if (c == 'h') {
                        watch_help(stdout);
                        return 0;
                }
                if (c == 'n') {
                        if (safe_atou(optarg, &a->count) < 0)
                                return log_error_errno(-EINVAL, "Bad --count '%s'.", optarg);
                        continue;
                }
                r = view_option(c, optarg, &a->v);
                if (r <= 0)
                        return -EINVAL;
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "watch takes no DOMAIN.");
        return 1;
}

/* The guests to show, shallow copies of the fleet's, filtered and sorted. */
static struct guest *view_guests(const struct fleet *f, const struct watch_args *a, unsigned *ret_n)
{
        struct guest *g = calloc(f->n ? f->n : 1, sizeof(*g));
        unsigned n = 0;

        if (!g)
                return NULL;
        for (unsigned i = 0; i < f->n; i++)
                if (filter_match_guest(&a->v.filter, fleet_guest(f, i)))
                        g[n++] = *fleet_guest(f, i);
        render_sort(g, n, a->v.sort);
        *ret_n = n;
        return g;
}

/*
 * Renders the view into memory, so that an unchanged view is not redrawn;
 * the time line is not part of it (written by redraw()).
 */
static int render_view(const struct guest *g, unsigned n, const struct watch_args *a, bool color, unsigned width,
                       char **ret, size_t *ret_len)
{
        const struct render_opts o = { .color = color, .width = width };
        FILE *m = open_memstream(ret, ret_len);
        int r = 0;

        if (!m)
                return -ENOMEM;
        if (a->v.json) {
                fputc('[', m);
                for (unsigned i = 0; i < n; i++) {
                        fputs(i ? "," : "", m);
                        render_guest_json(m, &g[i]);
                }
                fputs("]\n", m);
        } else {
                render_summary(m, g, n);
                r = render_table(m, g, n, &o);
        }
        if (fclose(m) != 0 && r >= 0)
                r = -ENOMEM;
        return r;
}

/* The line above the view: the local time of the redraw. */
static void print_time(FILE *f)
{
        char buf[64];
        time_t now = time(NULL);
        struct tm tm;

        if (!localtime_r(&now, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, sizeof(buf), "@%lld", (long long)now);
        fprintf(f, "pvh-monitor watch, on every change; %s\n", buf);
}

static int redraw(const struct fleet *f, const struct watch_args *a, bool tty, bool force, char **last)
{
        _cleanup_free_ char *view = NULL;
        _cleanup_free_ struct guest *g = NULL;
        unsigned n;
        size_t len;
        int r;

        g = view_guests(f, a, &n);
        if (!g)
                return -ENOMEM;
        r = render_view(g, n, a, tty && render_use_color(a->v.color, STDOUT_FILENO),
                        a->v.wide ? 0 : render_terminal_width(STDOUT_FILENO), &view, &len);
        if (r < 0)
                return r;
        if (!force && *last && streq(*last, view))
                return 0;
        if (tty && !a->v.json)
                fputs("\033[H\033[2J", stdout);
        if (!a->v.json)
                print_time(stdout);
        fputs(view, stdout);
        if (!tty && !a->v.json)
                fputc('\n', stdout);
        if (fflush(stdout) != 0)
                return -EIO;
        free(*last);
        *last = TAKE_PTR(view);
        return 1;
}

static volatile sig_atomic_t resized;

static void on_winch(int signo)
{
        resized = 1;
}

static int watch_loop(struct fleet *f, const struct watch_args *a)
{
        struct pollfd p = { .fd = xstore_fd(f->x), .events = POLLIN };
        bool tty = isatty(STDOUT_FILENO) == 1;
        _cleanup_free_ char *last = NULL;
        unsigned redraws = 0;

        if (tty)
                sigaction(SIGWINCH, &(const struct sigaction){ .sa_handler = on_winch }, NULL);
        for (;;) {
                bool force = resized;
                int r = fleet_refresh(f);

                resized = 0;
                if (r > 0 || !last || force)
                        r = redraw(f, a, tty, force, &last);
                if (r < 0)
                        return r;
                redraws += r;
                if (a->count && redraws >= a->count)
                        return 0;
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return -errno;
                r = fleet_drain(f);
                if (r < 0)
                        return r;
        }
}

int cmd_watch(int argc, char **argv)
{
        struct watch_args a = { .v.color = RENDER_COLOR_AUTO };
        struct xstore *x = NULL;
        struct fleet f;
        int r;

        r = watch_parse(argc, argv, &a);
        if (r <= 0) {
                filter_done(&a.v.filter);
                return r < 0 ? EXIT_USAGE : 0;
        }
        r = xstore_open(&x);
        if (r < 0) {
                filter_done(&a.v.filter);
                log_error_errno(r, "Failed to connect to xenstore: %m");
                return EXIT_INTERNAL;
        }
        r = fleet_start(&f, x, GUEST_READ_REASONS);
        if (r >= 0)
                r = watch_loop(&f, &a);
        if (r < 0)
                log_error_errno(r, "Failed to watch the guests: %m");
        fleet_done(&f);
        xstore_close(x);
        filter_done(&a.v.filter);
        return r < 0 ? EXIT_INTERNAL : 0;
}
