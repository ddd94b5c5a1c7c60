/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "history.h"
#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

struct history_args {
        const char *db;
        const char *domain;
        int64_t since;
        bool json;
};

static void history_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor history [--since WHEN] [--json] [--db FILE] [DOMAIN]\n"
                   "\n"
                   "What serve saw change, guest by guest, oldest first: first seen, verdict,\n"
                   "guest type, kernel, agent version, risk, name, domain id (a restart), gone\n"
                   "and back. A guest is its domain's UUID, which a restart keeps. DOMAIN is a\n"
                   "running domain (domid or name: its UUID, and every guest ever called that\n"
                   "name), a UUID, or a name or domid serve saw; without one, every guest.\n"
                   "\n"
                   "  --since WHEN   only changes since WHEN: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]\n"
                   "                 (UTC), @SECONDS, or Ns, Nm, Nh, Nd, Nw ago\n"
                   "  --json         one JSON array\n"
                   "  --db FILE      serve's database (default " DB_DEFAULT_PATH ")\n"
                   "\n"
                   "Times are UTC.\n");
}

/* A time in the past: absolute (UTC), @SECONDS, or an age. */
static int parse_since(const char *s, int64_t now, int64_t *ret)
{
        static const struct { char unit; int64_t seconds; } units[] = {
                { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
        };
        struct tm tm = {};
        unsigned long long n;
        const char *end;
        char unit;
        int used = 0;

        if (s[0] == '@')
                return sscanf(s + 1, "%llu%n", &n, &used) == 1 && !s[1 + used] ? (*ret = (int64_t)n, 0) : -EINVAL;
        if (sscanf(s, "%llu%c%n", &n, &unit, &used) == 2 && !s[used] && n < (1ull << 40))
                for (size_t i = 0; i < ELEMENTSOF(units); i++)
                        if (units[i].unit == unit) {
                                *ret = now - (int64_t)n * units[i].seconds;
                                return 0;
                        }
        end = strptime(s, "%Y-%m-%d", &tm);
        if (end && *end && (*end == 'T' || *end == ' ')) {
                const char *t = strptime(end + 1, "%H:%M:%S", &tm);

                end = t ? t : strptime(end + 1, "%H:%M", &tm);
                if (end && *end == 'Z')
                        end++;
        }
        if (!end || *end)
                return -EINVAL;
        *ret = (int64_t)timegm(&tm);
        return 0;
}

static int history_parse(int argc, char **argv, struct history_args *a)
{
        static const struct option opts[] = {
                { "since", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
                { "db", required_argument, NULL, 'd' },    { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        if (parse_since(optarg, (int64_t)time(NULL), &a->since) < 0)
                                return log_error_errno(-EINVAL, "Bad --since '%s' (see --help).", optarg);
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'd':
                        a->db = optarg;
                        break;
                case 'h':
                        history_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (argc - optind > 1)
                return log_error_errno(-EINVAL, "history takes one DOMAIN at most.");
        a->domain = optind < argc ? argv[optind] : NULL;
        return 1;
}

/*
 * Which guests DOMAIN names: a running domain is its UUID, and as a name
 * also every guest that had it (a domain created again without a fixed
 * uuid= is a new guest); else a UUID, a name, or a domid serve saw.
 */
static void resolve(const char *domain, char uuid[static PROTO_UUID_LEN + 1], struct db_changes_query *q)
{
        struct proto_uuid u;
        struct xstore *x = NULL;
        struct guest g = {};
        unsigned domid = 0;

        q->domid = -1;
        if (!domain)
                return;
        if (proto_uuid_decode(domain, strlen(domain), &u) == 0) {
                q->uuid = strcpy(uuid, u.s);
                return;
        }
        if (safe_atou(domain, &domid) < 0)
                q->name = domain;
        if (xstore_open(&x) < 0)
                log_debug("No xenstore: looking DOMAIN up in the database only.");
        else if (domains_find(x, domain, &domid) >= 0 && guest_read(x, domid, 0, &g) >= 0 && g.uuid[0])
                q->uuid = strcpy(uuid, g.uuid);
        guest_done(&g);
        xstore_close(x);
        if (!q->uuid && !q->name)
                q->domid = domid;
}

static int history_run(const struct history_args *a)
{
        char uuid[PROTO_UUID_LEN + 1];
        struct db_changes_query q = { .since = a->since };
        _cleanup_free_ char *e = a->domain ? render_escape(a->domain, strlen(a->domain)) : NULL;
        struct hrows h;
        struct db *d = NULL;
        unsigned n;
        int r;

        r = db_open_existing(a->db, &d);
        if (r < 0)
                return r == -ENOENT ? EXIT_FAILED : EXIT_INTERNAL;
        resolve(a->domain, uuid, &q);
        r = history_collect(d, &q, &h);
        db_close(d);
        if (r < 0)
                return EXIT_INTERNAL;
        if (a->json) {
                history_print_json(stdout, &h);
                fputc('\n', stdout);
        } else if (h.n)
                r = history_print_table(stdout, &h, true, 0);
        n = h.n;
        history_done(&h);
        if (r < 0)
                return EXIT_INTERNAL;
        if (a->domain && n == 0 && !a->since) {
                log_error("No history of '%s' in %s.", e ? e : "?", a->db);
                return EXIT_FAILED;
        }
        return 0;
}

int cmd_history(int argc, char **argv)
{
        struct history_args a = { .db = DB_DEFAULT_PATH };
        int r = history_parse(argc, argv, &a);

        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        r = history_run(&a);
        return command_flush(r);
}
