/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "history.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

#define SHOW_HISTORY 20 /* the newest changes shown */

struct show_args {
        const char *db;
        const char *domain;
        bool json;
};

/* Everything show gathers about one guest. */
struct shown {
        struct guest g;
        struct ganswer answers[PROTO_ANSWERS_MAX];
        unsigned n_answers;
        char *addrs;            /* "ADDR/PREFIX ..." or NULL */
        struct hrows history;
        bool have_db;
        struct gtrial trial;    /* its newest trial boot; outcome NULL when none */
};

static void show_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor show [--json] [--db FILE] DOMAIN\n"
                   "\n"
                   "Everything about one guest, in words that can go into a mail to its owner:\n"
                   "its facts, its verdict for PVH and what it risks at its next reboot, each\n"
                   "check with its status, reason and fix, what its agent offers, its last\n"
                   "answers, and its history as serve saw it.\n"
                   "\n"
                   "  --json      one JSON object\n"
                   "  --db FILE   serve's database, for the history (default " DB_DEFAULT_PATH ")\n");
}

static int show_parse(int argc, char **argv, struct show_args *a)
{
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "db", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'j':
                        a->json = true;
                        break;
                case 'd':
                        a->db = optarg;
                        break;
                case 'h':
                        show_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (argc - optind != 1)
                return log_error_errno(-EINVAL, "show takes one DOMAIN.");
        a->domain = argv[optind];
        return 1;
}

/* ---- gathering -------------------------------------------------------------- */

/* The answers the agent keeps (at most PROTO_ANSWERS_MAX), the newest first. */
static int read_answers(struct xstore *x, struct shown *s)
{
        _cleanup_free_ char **ids = NULL;
        char path[PROTO_DOMAIN_PATH_MAX];
        const char *newest = guest_get(&s->g, GF_LAST_REQUEST);
        unsigned n;
        int r;

        proto_domain_path(s->g.domid, PROTO_GUEST_DIR "/answer", path, sizeof(path));
        r = xstore_directory(x, path, &ids, &n);
        if (r == -ENOENT || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n && s->n_answers < PROTO_ANSWERS_MAX; i++) {
                struct proto_uuid u;
                struct ganswer *a = &s->answers[s->n_answers];
                int d = proto_uuid_decode(ids[i], strlen(ids[i]), &u);

                if (d < 0 && d != -PROTO_E_NIL_UUID)
                        continue;
                *a = (struct ganswer){};
                a->state.err = a->action.err = a->reason.err = a->message.err = GV_ABSENT;
                r = guest_read_answer(x, s->g.domid, u.s, a);
                if (r < 0)
                        return r;
                /* The newest first. */
                if (newest && streq(u.s, newest) && s->n_answers > 0) {
                        struct ganswer t = *a;

                        memmove(&s->answers[1], &s->answers[0], s->n_answers * sizeof(*a));
                        s->answers[0] = t;
                }
                s->n_answers++;
        }
        return 0;
}

/*
 * From serve's database, opened once when it exists (it is not created): the
 * guest's last 20 changes, and for a guest without an agent its disks' last
 * inspection.
 */
static void read_db(const struct show_args *a, struct shown *s)
{
        const struct db_changes_query q = { .uuid = s->g.uuid, .domid = -1, .limit = SHOW_HISTORY };
        struct db *d = NULL;

        if (access(a->db, F_OK) < 0 || db_open(a->db, &d) < 0)
                return;
        if (db_inspection_apply(d, &s->g) < 0)
                log_warning("Failed to read the inspection of domain %u from the database.", s->g.domid);
        if (s->g.uuid[0])
                s->have_db = history_collect(d, &q, &s->history) >= 0;
        if (guest_get_name(&s->g) && db_trial_get(d, guest_get_name(&s->g), &s->trial) < 0)
                s->trial = (struct gtrial){};
        db_close(d);
}

static int gather(struct xstore *x, const struct show_args *a, unsigned domid, struct shown *s)
{
        struct msnap snap = {};
        int r;

        r = guest_read(x, domid, GUEST_READ_REASONS | GUEST_READ_FIXES, &s->g);
        if (r >= 0 && s->g.agent == GUEST_AGENT_OK)
                r = read_answers(x, s);
        if (r >= 0 && s->g.agent == GUEST_AGENT_OK && mguest_snapshot(x, domid, &snap) >= 0 && snap.addrs &&
            snap.addrs[0])
                s->addrs = strdup(snap.addrs);
        msnap_done(&snap);
        if (r < 0)
                return log_error_errno(r, "Failed to read domain %u: %m", domid);
        read_db(a, s);
        return 0;
}

static void shown_done(struct shown *s)
{
        guest_done(&s->g);
        for (unsigned i = 0; i < s->n_answers; i++)
                ganswer_done(&s->answers[i]);
        free(s->addrs);
        history_done(&s->history);
        gtrial_done(&s->trial);
}

/* ---- text ------------------------------------------------------------------- */

/* A guest's text, escaped (valid UTF-8 kept), or "-". */
static void put(FILE *f, const char *s)
{
        _cleanup_free_ char *e = s ? render_escape(s, strlen(s)) : NULL;

        fputs(e ? e : "-", f);
}

static void put_value(FILE *f, const struct gvalue *v)
{
        if (v->err == 0)
                put(f, v->val);
        else if (v->err == GV_ABSENT)
                fputs("-", f);
        else
                fprintf(f, "invalid (%s)", proto_error_name(v->err));
}

static const char *verdict_words(const char *verdict)
{
        static const struct { const char *word, *meaning; } m[] = {
                { "ready", "nothing fails: switched to PVH and restarted, it should boot" },
                { "fixable", "checks fail that its agent can fix: pvh-monitor request NAME prepare" },
                { "blocked", "a check fails that needs a change by hand, below" },
                { "unknown", "its agent could not tell" },
                { "none", "no agent has published anything" },
                { "incompatible", "its agent speaks another major version of the protocol" },
                { "invalid", "what it published does not follow the protocol" },
                { "missing", "its agent published no verdict" },
        };

        for (size_t i = 0; i < ELEMENTSOF(m); i++)
                if (streq(verdict, m[i].word))
                        return m[i].meaning;
        return "";
}

static void text_fact(FILE *f, const char *label, const struct gvalue *v)
{
        fprintf(f, "  %-12s", label);
        put_value(f, v);
        fputc('\n', f);
}

/* "trial: booted (reason), when": the newest trial boot of a copy of the guest. */
static void text_trial(FILE *f, const struct gtrial *t)
{
        char when[32] = "?";
        time_t at = (time_t)t->at;
        struct tm tm;

        if (!t->outcome)
                return;
        if (gmtime_r(&at, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
        fprintf(f, "  %-12s", "trial");
        put(f, t->outcome);
        fputs(" (", f);
        put(f, t->reason);
        fprintf(f, "), %s", when);
        if (t->predicted) {
                fputs("; predicted ", f);
                put(f, t->predicted);
        }
        fputc('\n', f);
}

static void text_facts(FILE *f, const struct shown *s)
{
        const struct guest *g = &s->g;
        const char *verdict = guest_verdict_word(g);

        fprintf(f, "  %-12s%s\n", "uuid", g->uuid[0] ? g->uuid : "-");
        fprintf(f, "  %-12s%s (%s)\n", "verdict", verdict, verdict_words(verdict));
        text_trial(f, &s->trial);
        if (g->agent != GUEST_AGENT_OK)
                return;
        text_fact(f, "guest type", &g->f[GF_GUEST_TYPE]);
        text_fact(f, "os", &g->f[GF_OS_PRETTY_NAME]);
        fprintf(f, "  %-12s", "kernel");
        put_value(f, &g->f[GF_KERNEL_RELEASE]);
        fputs(" (", f);
        put_value(f, &g->f[GF_KERNEL_ARCH]);
        fputs(")\n", f);
        fprintf(f, "  %-12s", "next boot");
        put_value(f, &g->f[GF_NEXT_BOOT_KERNEL]);
        fputs(" (", f);
        put_value(f, &g->f[GF_NEXT_BOOT_RELEASE]);
        fputs(")\n", f);
        fprintf(f, "  %-12s%s\n", "addresses", s->addrs ? s->addrs : "-");
}

/* What the agent takes, and the actions of this protocol it leaves out: its owner's choice. */
static void text_agent(FILE *f, const struct guest *g)
{
        fprintf(f, "\nAgent:\n  %-12s", "version");
        put_value(f, &g->f[GF_AGENT_VERSION]);
        fprintf(f, ", schema ");
        put_value(f, &g->f[GF_SCHEMA]);
        fputc('\n', f);
        if (g->agent != GUEST_AGENT_OK)
                return;
        fprintf(f, "  %-12s", "offers");
        put_value(f, &g->f[GF_AGENT_ACTIONS]);
        fprintf(f, "\n  %-12s", "refuses");
        for (int a = 0, n = 0; a < _PROTO_ACTION_MAX; a++)
                if (!guest_offers(g, (enum proto_action)a))
                        fprintf(f, "%s%s", n++ ? " " : "", proto_action_to_string((enum proto_action)a));
                else if (a == _PROTO_ACTION_MAX - 1 && n == 0)
                        fputs("nothing", f);
        fprintf(f, "\n  %-12s", "instance");
        put_value(f, &g->f[GF_AGENT_INSTANCE]);
        fprintf(f, "\n  %-12s", "boot id");
        put_value(f, &g->f[GF_AGENT_BOOT_ID]);
        fputc('\n', f);
}

/* A check with its reason and, when it has one, its fix; or only its id (brief). */
static void text_check(FILE *f, const struct gcheck *c, bool brief, bool first)
{
        if (brief) {
                fprintf(f, "%s%s", first ? "  " : ", ", c->id[0] ? c->id : "(invalid id)");
                return;
        }
        fprintf(f, "  %s: ", c->id[0] ? c->id : "(invalid id)");
        put_value(f, &c->reason);
        fputc('\n', f);
        if (c->fix.err == GV_ABSENT)
                return;
        fprintf(f, "    fix: ");
        put_value(f, &c->fix);
        fputc('\n', f);
}

/* The checks with one status, under a title; whether there were any. */
static bool text_checks_with(FILE *f, const struct guest *g, int status, bool readiness, const char *title,
                             bool brief)
{
        bool any = false;

        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];

                if (c->status != status || gcheck_is_readiness(c) != readiness)
                        continue;
                if (!any)
                        fprintf(f, "\n%s\n", title);
                text_check(f, c, brief, !any);
                any = true;
        }
        if (any && brief)
                fputc('\n', f);
        return any;
}

static void text_checks(FILE *f, const struct guest *g)
{
        text_checks_with(f, g, PROTO_STATUS_FAIL, false, "At its next reboot, in the mode it runs now:", false);
        if (!text_checks_with(f, g, PROTO_STATUS_FAIL, true, "Checks that fail for PVH:", false) &&
            g->agent == GUEST_AGENT_OK)
                fprintf(f, "\nChecks that fail for PVH: none\n");
        text_checks_with(f, g, PROTO_STATUS_WARN, true, "Warnings:", false);
        text_checks_with(f, g, PROTO_STATUS_WARN, false, "Warnings about its next reboot:", false);
        text_checks_with(f, g, PROTO_STATUS_SKIP, true, "Not checked:", false);
        text_checks_with(f, g, PROTO_STATUS_PASS, false, "Its next reboot:", false);
        text_checks_with(f, g, PROTO_STATUS_PASS, true, "Passed:", true);
        if (g->checks_omitted)
                fprintf(f, "\n%u more checks were not read (at most %u are)\n", g->checks_omitted,
                        PROTO_CHECKS_MAX);
}

static void text_answers(FILE *f, const struct shown *s)
{
        if (s->g.agent != GUEST_AGENT_OK)
                return;
        fprintf(f, "\nLast answers%s\n", s->n_answers ? " (the newest first):" : ": none");
        for (unsigned i = 0; i < s->n_answers; i++) {
                const struct ganswer *a = &s->answers[i];

                fprintf(f, "  %s  ", a->id);
                put_value(f, &a->action);
                fputc(' ', f);
                put_value(f, &a->state);
                if (a->reason.err == 0) {
                        fputs(" (", f);
                        put_value(f, &a->reason);
                        fputc(')', f);
                }
                fputs(": ", f);
                put_value(f, &a->message);
                fputc('\n', f);
        }
}

/* What the disks' last inspection read; the facts and checks above come from it then. */
static void text_inspection(FILE *f, const struct guest *g)
{
        const struct ginspect *in = g->insp;
        char when[32] = "?";
        time_t t;
        struct tm tm;

        if (!in) {
                fprintf(f, "\nInspection from dom0: none\n");
                return;
        }
        t = (time_t)in->at;
        if (gmtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
        fprintf(f, "\nInspection from dom0 (%s; the disks as they were then, the checks above are its):\n",
                when);
        fprintf(f, "  %-12s%s\n", "disks", in->disks ? in->disks : "-");
        fprintf(f, "  %-12s", "menu");
        put_value(f, &in->v[PROTO_IKEY_MENU_DEVICE]);
        fputc(' ', f);
        put_value(f, &in->v[PROTO_IKEY_MENU_FILE]);
        fputc('\n', f);
        if (!guest_inspection_ok(g))
                fprintf(f, "  %-12s%s\n", "failed", guest_inspection_failure(g));
}

static int show_text(FILE *f, const struct show_args *a, const struct shown *s)
{
        const struct guest *g = &s->g;
        enum guest_risk risk = guest_risk(g);

        fputs("Guest ", f);
        put_value(f, &g->name);
        fprintf(f, " (domain %u)\n", g->domid);
        if (risk == GUEST_RISK_NEXT_BOOT)
                fprintf(f, "  %-12s%s\n", "risk", "its next reboot fails (below)");
        text_facts(f, s);
        text_checks(f, g);
        text_agent(f, g);
        text_answers(f, s);
        text_inspection(f, g);
        if (!s->have_db)
                fprintf(f, "\nHistory: none (serve keeps it in %s)\n", a->db);
        else if (!s->history.n)
                fprintf(f, "\nHistory: none yet\n");
        else {
                fprintf(f, "\nHistory (UTC, the newest %u changes at most):\n", SHOW_HISTORY);
                return history_print_table(f, &s->history, false, 2);
        }
        return 0;
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_answers(FILE *f, const struct shown *s)
{
        fputs(",\"answers\":[", f);
        for (unsigned i = 0; i < s->n_answers; i++) {
                const struct ganswer *a = &s->answers[i];
                const struct gvalue *v[] = { &a->action, &a->state, &a->reason, &a->message };
                static const char *const k[] = { "action", "state", "reason", "message" };

                fprintf(f, "%s{\"id\":", i ? "," : "");
                render_json_cstr(f, a->id);
                for (size_t j = 0; j < ELEMENTSOF(k); j++) {
                        fprintf(f, ",\"%s\":", k[j]);
                        render_json_cstr(f, v[j]->err == 0 ? v[j]->val : NULL);
                }
                fputc('}', f);
        }
        fputc(']', f);
}

static void json_actions(FILE *f, const struct guest *g, bool offered)
{
        bool first = true;

        fputc('[', f);
        for (int a = 0; g->agent == GUEST_AGENT_OK && a < _PROTO_ACTION_MAX; a++)
                if (guest_offers(g, (enum proto_action)a) == offered) {
                        fprintf(f, "%s\"%s\"", first ? "" : ",", proto_action_to_string((enum proto_action)a));
                        first = false;
                }
        fputc(']', f);
}

static int show_json(FILE *f, const struct shown *s)
{
        fputs("{\"guest\":", f);
        render_guest_json(f, &s->g);
        fputs(",\"addresses\":", f);
        render_json_cstr(f, s->addrs);
        fputs(",\"offers\":", f);
        json_actions(f, &s->g, true);
        fputs(",\"refuses\":", f);
        json_actions(f, &s->g, false);
        json_answers(f, s);
        fputs(",\"trial\":", f);
        render_trial_json(f, &s->trial);
        fputs(",\"history\":", f);
        if (s->have_db)
                history_print_json(f, &s->history);
        else
                fputs("null", f);
        fputs("}\n", f);
        return 0;
}

static int show_run(const struct show_args *a)
{
        _cleanup_free_ char *e = render_escape(a->domain, strlen(a->domain));
        struct xstore *x = NULL;
        struct shown s = {};
        unsigned domid;
        int r;

        r = xstore_open(&x);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to xenstore: %m");
                return EXIT_INTERNAL;
        }
        r = domains_find(x, a->domain, &domid);
        if (r == -ENOENT) {
                log_error("No such domain '%s'.", e ? e : "?");
                xstore_close(x);
                return EXIT_FAILED;
        }
        if (r >= 0)
                r = gather(x, a, domid, &s);
        xstore_close(x);
        if (r >= 0)
                r = a->json ? show_json(stdout, &s) : show_text(stdout, a, &s);
        shown_done(&s);
        return r < 0 ? EXIT_INTERNAL : 0;
}

int cmd_show(int argc, char **argv)
{
        struct show_args a = { .db = DB_DEFAULT_PATH };
        int r = show_parse(argc, argv, &a);

        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        r = show_run(&a);
        return command_flush(r);
}
