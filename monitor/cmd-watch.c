/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"
#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

struct watch_args {
        bool json;
        enum render_color color;
        unsigned count; /* exit after this many redraws; 0: never */
};

static void watch_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor watch [--json] [--color=WHEN] [--count N]\n"
                   "\n"
                   "The status table, redrawn whenever a guest's published state changes or a\n"
                   "domain comes or goes. Without a terminal, each redraw is printed in full\n"
                   "followed by an empty line; with --json, one JSON array per line.\n"
                   "  --count N   exit after N redraws\n");
}

static int watch_parse(int argc, char **argv, struct watch_args *a)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },         { "color", required_argument, NULL, 'c' },
                { "count", required_argument, NULL, 'n' },  { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'j':
                        a->json = true;
                        break;
                case 'c':
                        if (render_color_from_string(optarg, &a->color) < 0)
                                return log_error_errno(-EINVAL, "Bad --color '%s'.", optarg);
                        break;
                case 'n':
                        if (safe_atou(optarg, &a->count) < 0)
                                return log_error_errno(-EINVAL, "Bad --count '%s'.", optarg);
                        break;
                case 'h':
                        watch_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "watch takes no DOMAIN.");
        return 1;
}

/* Renders the whole view into memory, so that an unchanged view is not redrawn. */
static int render_view(const struct fleet *f, const struct watch_args *a, bool color,
                       char **ret, size_t *ret_len)
{
        struct guest *g = NULL;
        FILE *m = open_memstream(ret, ret_len);
        int r = 0;

        if (!m)
                return -ENOMEM;
        if (a->json) {
                fputc('[', m);
                for (unsigned i = 0; i < f->n; i++) {
                        fputs(i ? "," : "", m);
                        render_guest_json(m, fleet_guest(f, i));
                }
                fputs("]\n", m);
        } else {
                g = calloc(f->n ? f->n : 1, sizeof(*g));
                if (!g)
                        r = -ENOMEM;
                for (unsigned i = 0; g && i < f->n; i++)
                        g[i] = *fleet_guest(f, i);
                if (g)
                        r = render_table(m, g, f->n, color);
                free(g);
        }
        if (fclose(m) != 0 && r >= 0)
                r = -ENOMEM;
        return r;
}

static int redraw(const struct fleet *f, const struct watch_args *a, bool tty, char **last)
{
        _cleanup_free_ char *view = NULL;
        size_t len;
        int r = render_view(f, a, tty && render_use_color(a->color, STDOUT_FILENO), &view, &len);

        if (r < 0)
                return r;
        if (*last && streq(*last, view))
                return 0;
        if (tty && !a->json)
                fputs("\033[H\033[2J", stdout);
        fputs(view, stdout);
        if (!tty && !a->json)
                fputc('\n', stdout);
        if (fflush(stdout) != 0)
                return -EIO;
        free(*last);
        *last = TAKE_PTR(view);
        return 1;
}

static int watch_loop(struct fleet *f, const struct watch_args *a)
{
        struct pollfd p = { .fd = xstore_fd(f->x), .events = POLLIN };
        bool tty = isatty(STDOUT_FILENO) == 1;
        _cleanup_free_ char *last = NULL;
        unsigned redraws = 0;

        for (;;) {
                int r = fleet_refresh(f);

                if (r > 0 || !last)
                        r = redraw(f, a, tty, &last);
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
        struct watch_args a = { .color = RENDER_COLOR_AUTO };
        struct xstore *x = NULL;
        struct fleet f;
        int r;

        r = watch_parse(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        r = xstore_open(&x);
        if (r < 0) {
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
        return r < 0 ? EXIT_INTERNAL : 0;
}
