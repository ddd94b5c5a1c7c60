/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "db.h"
#include "filter.h"
#include "hostreq.h"
#include "log.h"
#include "macro.h"
#include "monitor.h"
#include "render.h"
#include "util.h"

#define WAIT_DEFAULT_S 30
#define TOKEN_RELEASE "release"

enum outcome {
        OUT_PENDING,
        OUT_DONE,
        OUT_FAILED,      /* the agent answered failed */
        OUT_BUSY,        /* an earlier request is still waiting in the node */
        OUT_NOT_OFFERED, /* the agent does not list the action */
        OUT_TIMEOUT,
        OUT_NO_AGENT,
        OUT_GONE,        /* the domain was destroyed */
        OUT_RESTARTED,   /* the agent restarted, and no final answer came */
        OUT_ERROR,       /* xenstore refused us */
        _OUT_MAX,
};

static const char *const outcome_words[_OUT_MAX] = {
        [OUT_PENDING] = "pending",         [OUT_DONE] = "done",     [OUT_FAILED] = "failed",
        [OUT_BUSY] = "busy",               [OUT_NOT_OFFERED] = "not-offered",
        [OUT_TIMEOUT] = "timeout",         [OUT_NO_AGENT] = "no-agent",
        [OUT_GONE] = "gone",               [OUT_RESTARTED] = "restarted",
        [OUT_ERROR] = "error",
};

static const int outcome_exit[_OUT_MAX] = {
        [OUT_PENDING] = EXIT_TIMEOUT, [OUT_DONE] = EXIT_DONE,        [OUT_FAILED] = EXIT_FAILED,
        [OUT_BUSY] = EXIT_FAILED,     [OUT_NOT_OFFERED] = EXIT_FAILED, [OUT_TIMEOUT] = EXIT_TIMEOUT,
        [OUT_NO_AGENT] = EXIT_TIMEOUT, [OUT_GONE] = EXIT_TIMEOUT,     [OUT_RESTARTED] = EXIT_TIMEOUT,
        [OUT_ERROR] = EXIT_INTERNAL,
};

struct target {
        unsigned domid;
        char *name;              /* escaped */
        char id[PROTO_UUID_LEN + 1];
        char token[32];
        char instance[PROTO_UUID_LEN + 1]; /* agent/instance when sent; empty when none */
        enum outcome outcome;
        struct ganswer answer;
        bool watching;
        bool taken;        /* its answer was seen, not final, under t->instance */
        bool restart_seen; /* the agent restarted while we waited */
};

struct request_args {
        enum proto_action action;
        unsigned req_args;
        unsigned wait_s;
        bool all, json;
        struct filter filter; /* --filter, --exclude */
        char **domains;
        int n_domains;
        const char *db_path;  /* --db, or NULL for the default when it exists */
        struct db *db;        /* where sent requests are recorded, or NULL */
};

static void request_help(FILE *f)
{
        fprintf(f, "Usage: pvh-monitor request [OPTIONS] DOMAIN... ACTION\n"
                   "       pvh-monitor request [OPTIONS] --all|--filter KEY=VALUE|--exclude KEY=VALUE ACTION\n"
                   "\n"
                   "Sends ACTION (ping, probe, prepare, rollback) to each guest's agent, waits\n"
                   "for the answers and prints them.\n"
                   "\n"
                   "  --dry-run            prepare: show what would change, change nothing\n"
                   "  --wait SECONDS       how long to wait for the answers (default 30)\n"
                   "  --all                every guest\n"
                   "  --filter KEY=VALUE   guests whose KEY matches VALUE, a shell glob; repeated:\n"
                   "                       all of them; KEY as for status (verdict, guest_type,\n"
                   "                       name, risk, ...)\n"
                   "  --exclude KEY=VALUE  not those\n"
                   "  --json               one JSON object per guest\n"
                   "  --db FILE            record the requests in serve's database, so that\n"
                   "                       serve counts their answers (default " DB_DEFAULT_PATH "\n"
                   "                       when it exists)\n"
                   "\n"
                   "Outcomes: done, failed, busy (an earlier request waits in the node),\n"
                   "not-offered (the agent does not list ACTION), no-agent, timeout, gone (the\n"
                   "domain was destroyed), restarted (the agent restarted after it took the\n"
                   "request, or while we waited, and no final answer came: the request may or\n"
                   "may not have run), error.\n"
                   "\n"
                   "Exit status: 0 all done, 1 failed, busy or not-offered, 4 usage, 5 internal\n"
                   "error, 6 timeout, no-agent, gone or restarted: the worst over the guests.\n"
                   "With --all, --filter or --exclude, guests that were sent nothing (no-agent,\n"
                   "not-offered) are reported but count only when no guest was sent ACTION.\n");
}

static int parse_positional(int argc, char **argv, struct request_args *a)
{
        const char *act;
        int n = argc - optind, r;

        if (n < 1)
                return log_error_errno(-EINVAL, "No action given.");
        act = argv[argc - 1];
        r = proto_action_from_string(act, strlen(act));
        if (r < 0)
                return log_error_errno(-EINVAL, "Unknown action (ping, probe, prepare, rollback).");
        a->action = (enum proto_action)r;
        a->domains = argv + optind;
        a->n_domains = n - 1;
        if ((a->all || !filter_empty(&a->filter)) && a->n_domains > 0)
                return log_error_errno(-EINVAL, "--all, --filter and --exclude take no DOMAIN.");
        if (!a->all && filter_empty(&a->filter) && a->n_domains == 0)
                return log_error_errno(-EINVAL, "No DOMAIN given (or --all).");
        if ((a->req_args & (1u << PROTO_ARG_DRY_RUN)) &&
            !(proto_action_args(a->action) & (1u << PROTO_ARG_DRY_RUN)))
                return log_error_errno(-EINVAL, "--dry-run applies to prepare only.");
        return 1;
}

static int request_parse(int argc, char **argv, struct request_args *a)
{
        static const struct option opts[] = {
                { "dry-run", no_argument, NULL, 'd' },  { "wait", required_argument, NULL, 'w' },
                { "all", no_argument, NULL, 'a' },      { "filter", required_argument, NULL, 'f' },
                { "json", no_argument, NULL, 'j' },     { "help", no_argument, NULL, 'h' },
                { "db", required_argument, NULL, 'D' },  { "exclude", required_argument, NULL, 'x' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'd':
                        a->req_args |= 1u << PROTO_ARG_DRY_RUN;
                        break;
                case 'w':
                        if (safe_atou(optarg, &a->wait_s) < 0 || a->wait_s > 86400)
                                return log_error_errno(-EINVAL, "Bad --wait '%s'.", optarg);
                        break;
                case 'a':
                        a->all = true;
                        break;
                case 'f':
                case 'x':
                        if (filter_add(&a->filter, optarg, c == 'x') < 0)
                                return -EINVAL;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'D':
                        a->db_path = optarg;
                        break;
                case 'h':
                        request_help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        return parse_positional(argc, argv, a);
}

/* ---- sending ------------------------------------------------------------- */

/* The answer's state and the agent's instance, under one token: either means "look again". */
static int target_watch(struct xstore *x, const struct target *t, bool on)
{
        struct proto_path_args pa = {};
        char state[PROTO_DOMAIN_PATH_MAX], inst[PROTO_DOMAIN_PATH_MAX];
        int r;

        memcpy(pa.uuid, t->id, sizeof(pa.uuid));
        if (proto_domain_key_path(t->domid, PROTO_KEY_ANSWER_STATE, &pa, state, sizeof(state)) < 0 ||
            proto_domain_key_path(t->domid, PROTO_KEY_AGENT_INSTANCE, NULL, inst, sizeof(inst)) < 0)
                return -EINVAL;
        if (!on) {
                xstore_unwatch(x, state, t->token);
                xstore_unwatch(x, inst, t->token);
                return 0;
        }
        r = xstore_watch(x, state, t->token);
        return r < 0 ? r : xstore_watch(x, inst, t->token);
}

/* Before it is sent, so that serve, which counts only requests it finds there, sees it in time. */
static void record_sent(const struct request_args *a, const struct target *t)
{
        int r;

        if (!a->db)
                return;
        r = db_request_sent(a->db, t->id, t->domid, t->name, a->action, (int64_t)time(NULL));
        if (r >= 0)
                r = db_commit(a->db);
        if (r < 0)
                log_warning_errno(r, "Failed to record the request to domain %u in the database: %m",
                                  t->domid);
}

static int send_one(struct xstore *x, const struct request_args *a, struct target *t)
{
        struct proto_request req = { .action = a->action, .args = a->req_args };
        uuid_t u;
        int r;

        r = hostreq_slot(x, t->domid, NULL);
        if (r < 0)
                return r;
        if (r != HOSTREQ_FREE) {
                t->outcome = OUT_BUSY;
                return 0;
        }
        uuid_generate_random(u);
        uuid_unparse_lower(u, t->id);
        memcpy(req.id.s, t->id, sizeof(req.id.s));
        record_sent(a, t);
        snprintf(t->token, sizeof(t->token), "answer:%u", t->domid);
        r = target_watch(x, t, true);
        if (r < 0)
                return r;
        t->watching = true;
        return hostreq_write(x, t->domid, &req);
}

static int target_init(struct xstore *x, const struct request_args *a, unsigned domid,
                       struct target *t)
{
        struct guest g;
        int r;

        *t = (struct target){ .domid = domid };
        t->answer.state.err = t->answer.action.err = GV_ABSENT;
        t->answer.reason.err = t->answer.message.err = GV_ABSENT;
        r = guest_read(x, domid, 0, &g);
        if (r < 0) {
                guest_done(&g);
                return r;
        }
        if (!filter_match_guest(&a->filter, &g)) {
                guest_done(&g);
                return 0;
        }
        t->name = g.name.err == 0 ? render_escape(g.name.val, strlen(g.name.val)) : strdup("-");
        if (guest_get(&g, GF_AGENT_INSTANCE))
                snprintf(t->instance, sizeof(t->instance), "%s", guest_get(&g, GF_AGENT_INSTANCE));
        if (g.agent == GUEST_AGENT_NONE || g.agent == GUEST_AGENT_INVALID)
                t->outcome = OUT_NO_AGENT;
        else if (!guest_allows(&g, a->action, a->req_args))
                t->outcome = OUT_NOT_OFFERED;
        guest_done(&g);
        if (!t->name)
                return -ENOMEM;
        if (t->outcome == OUT_PENDING) {
                r = send_one(x, a, t);
                if (r < 0) {
                        log_error_errno(r, "Failed to send the request to domain %u: %m", domid);
                        t->outcome = OUT_ERROR;
                }
        }
        return 1;
}

/* ---- printing ------------------------------------------------------------ */

static void print_output_text(const char *out, size_t len)
{
        for (const char *p = out, *end = out + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                _cleanup_free_ char *e = render_escape(p, n);

                printf("    %s\n", e ? e : "?");
                p += n + 1;
        }
}

static void print_text(const struct target *t, const char *out, size_t len, uint32_t omitted)
{
        const struct ganswer *an = &t->answer;
        _cleanup_free_ char *msg = NULL;

        if (an->message.err == 0)
                msg = render_escape(an->message.val, strlen(an->message.val));
        printf("%u %s: %s", t->domid, t->name, outcome_words[t->outcome]);
        if (t->outcome == OUT_FAILED)
                printf(" (%s)", an->reason.err == 0 ? an->reason.val : "error");
        printf("%s%s\n", msg ? ": " : "", msg ? msg : "");
        if (out)
                print_output_text(out, len);
        if (omitted)
                printf("    [%u bytes of output omitted by the agent]\n", omitted);
}

static void print_json(const struct target *t, const char *out, size_t len, uint32_t omitted)
{
        const struct ganswer *an = &t->answer;

        printf("{\"domid\":%u,\"name\":", t->domid);
        render_json_cstr(stdout, t->name);
        printf(",\"id\":");
        render_json_cstr(stdout, t->id[0] ? t->id : NULL);
        printf(",\"outcome\":\"%s\",\"state\":", outcome_words[t->outcome]);
        render_json_cstr(stdout, an->state.err == 0 ? an->state.val : NULL);
        printf(",\"reason\":");
        render_json_cstr(stdout, an->reason.err == 0 ? an->reason.val : NULL);
        printf(",\"message\":");
        render_json_cstr(stdout, an->message.err == 0 ? an->message.val : NULL);
        printf(",\"output\":");
        if (out)
                render_json_string(stdout, out, len);
        else
                fputs("null", stdout);
        printf(",\"omitted\":%u}\n", omitted);
}

static void target_report(struct xstore *x, const struct target *t, bool json)
{
        _cleanup_free_ char *out = NULL;
        uint32_t omitted = 0;
        size_t len = 0;

        if ((t->outcome == OUT_DONE || t->outcome == OUT_FAILED) &&
            guest_read_output(x, t->domid, t->id, &out, &len, &omitted) >= 0 && len == 0) {
                free(out);
                out = NULL;
        }
        if (json)
                print_json(t, out, len, omitted);
        else
                print_text(t, out, len, omitted);
        fflush(stdout);
}

/* ---- waiting ------------------------------------------------------------- */

struct batch {
        struct xstore *x;
        struct target *t;
        unsigned n, pending;
        bool json, progress;
        bool many; /* --all or --filter: guests sent nothing count only when all were */
};

static void progress(const struct batch *b)
{
        unsigned count[_OUT_MAX] = {};

        if (!b->progress)
                return;
        for (unsigned i = 0; i < b->n; i++)
                count[b->t[i].outcome]++;
        fprintf(stderr, "\r\033[K[%u/%u] done %u, failed %u, waiting %u", b->n - b->pending, b->n,
                count[OUT_DONE], b->n - b->pending - count[OUT_DONE], b->pending);
}

static void finish(struct batch *b, struct target *t, enum outcome o)
{
        t->outcome = o;
        if (t->watching) {
                target_watch(b->x, t, false);
                t->watching = false;
        }
        b->pending--;
        if (b->progress)
                fputs("\r\033[K", stderr);
        target_report(b->x, t, b->json);
        progress(b);
}

/* Re-reads the answer: watches fire on setup and spuriously, so the event says nothing. */
static int check_answer(struct batch *b, struct target *t)
{
        int r, s;

        r = guest_read_answer(b->x, t->domid, t->id, &t->answer);
        if (r < 0)
                return r;
        if (t->answer.state.err < 0)
                return 0;
        s = proto_state_from_string(t->answer.state.val, strlen(t->answer.state.val));
        if (s < 0 || !proto_state_is_final((enum proto_state)s))
                return 0;
        finish(b, t, s == PROTO_STATE_DONE ? OUT_DONE : OUT_FAILED);
        return 0;
}

/* The agent's instance now: "" when absent or invalid (stopping, or not yet there). */
static int read_instance(struct xstore *x, unsigned domid, char ret[static PROTO_UUID_LEN + 1])
{
        _cleanup_free_ char *v = NULL;
        char path[PROTO_DOMAIN_PATH_MAX];
        size_t len;
        int r;

        ret[0] = 0;
        proto_domain_key_path(domid, PROTO_KEY_AGENT_INSTANCE, NULL, path, sizeof(path));
        r = xstore_read(x, path, PROTO_UUID_LEN, &v, &len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        if (proto_key_check(PROTO_KEY_AGENT_INSTANCE, v, len) >= 0)
                memcpy(ret, v, len + 1);
        return 0;
}

/*
 * An answer or instance event. A final answer wins. Otherwise, a new
 * agent/instance means the agent restarted: when the agent we sent to had
 * taken the request, its fate is unknown (restarted); when it had not, the
 * new agent takes it from the node, and waiting goes on. The answer is read
 * before the instance, and an agent publishes its instance before it takes
 * requests: a state seen with the old instance still there was written by
 * the old agent.
 */
static int look_again(struct batch *b, struct target *t)
{
        char now[PROTO_UUID_LEN + 1];
        int r = check_answer(b, t);

        if (r < 0 || t->outcome != OUT_PENDING)
                return r;
        r = read_instance(b->x, t->domid, now);
        if (r < 0 || !now[0])
                return r;
        if (streq(now, t->instance)) {
                if (t->answer.state.err == 0)
                        t->taken = true;
                return 0;
        }
        t->restart_seen = true;
        if (t->taken) {
                finish(b, t, OUT_RESTARTED);
                return 0;
        }
        memcpy(t->instance, now, sizeof(now));
        return 0;
}

static int check_domains(struct batch *b)
{
        for (unsigned i = 0; i < b->n; i++) {
                struct target *t = &b->t[i];
                char path[PROTO_DOMAIN_PATH_MAX];
                int r;

                if (t->outcome != OUT_PENDING)
                        continue;
                proto_domain_path(t->domid, NULL, path, sizeof(path));
                r = xstore_exists(b->x, path);
                if (r < 0)
                        return r;
                if (r == 0)
                        finish(b, t, OUT_GONE);
        }
        return 0;
}

static int handle_event(struct batch *b, const char *token)
{
        unsigned domid;

        if (streq(token, TOKEN_RELEASE))
                return check_domains(b);
        if (!startswith(token, "answer:") || safe_atou(token + 7, &domid) < 0)
                return 0;
        for (unsigned i = 0; i < b->n; i++)
                if (b->t[i].domid == domid && b->t[i].outcome == OUT_PENDING)
                        return look_again(b, &b->t[i]);
        return 0;
}

static int drain(struct batch *b)
{
        for (;;) {
                _cleanup_free_ char **ev = NULL;
                int r = xstore_next_event(b->x, &ev);

                if (r <= 0)
                        return r;
                r = handle_event(b, ev[1]);
                if (r < 0)
                        return r;
        }
}

static int wait_all(struct batch *b, unsigned wait_s)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t)wait_s * 1000000;
        struct pollfd p = { .fd = xstore_fd(b->x), .events = POLLIN };

        progress(b);
        while (b->pending > 0) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                int r;

                if (now >= deadline)
                        break;
                r = poll(&p, 1, (int)((deadline - now + 999) / 1000));
                if (r < 0 && errno != EINTR)
                        return -errno;
                r = drain(b);
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < b->n; i++)
                if (b->t[i].outcome == OUT_PENDING)
                        finish(b, &b->t[i], b->t[i].restart_seen ? OUT_RESTARTED : OUT_TIMEOUT);
        return 0;
}

/* ---- the command ----------------------------------------------------------- */

static int targets_setup(struct batch *b, const struct request_args *a, const unsigned *ids,
                         unsigned n)
{
        b->t = calloc(n ? n : 1, sizeof(*b->t));
        if (!b->t)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                int r = target_init(b->x, a, ids[i], &b->t[b->n]);

                if (r < 0)
                        return log_error_errno(r, "Failed to read domain %u: %m", ids[i]);
                if (r == 0)
                        continue;
                if (b->t[b->n].outcome == OUT_PENDING)
                        b->pending++;
                b->n++;
        }
        return 0;
}

static bool sent_nothing(const struct target *t)
{
        return t->outcome == OUT_NO_AGENT || t->outcome == OUT_NOT_OFFERED;
}

static int batch_exit(struct batch *b)
{
        int worst = 0, worst_sent = 0;
        bool any_sent = false;

        for (unsigned i = 0; i < b->n; i++) {
                const struct target *t = &b->t[i];
                int e = outcome_exit[t->outcome];

                if (t->outcome != OUT_PENDING && !t->watching && t->id[0] == 0 &&
                    t->outcome != OUT_DONE && t->outcome != OUT_FAILED)
                        target_report(b->x, t, b->json);
                worst = exit_worst(worst, e);
                if (sent_nothing(t))
                        continue;
                any_sent = true;
                worst_sent = exit_worst(worst_sent, e);
        }
        return b->many && any_sent ? worst_sent : worst;
}

static void batch_free(struct batch *b)
{
        for (unsigned i = 0; b->t && i < b->n; i++) {
                free(b->t[i].name);
                ganswer_done(&b->t[i].answer);
        }
        free(b->t);
}

static int run_batch(struct xstore *x, const struct request_args *a, const unsigned *ids,
                     unsigned n)
{
        struct batch b = { .x = x, .json = a->json, .many = a->all || !filter_empty(&a->filter) };
        int r;

        b.progress = !a->json && isatty(STDERR_FILENO) == 1;
        r = xstore_watch(x, "@releaseDomain", TOKEN_RELEASE);
        if (r >= 0)
                r = targets_setup(&b, a, ids, n);
        if (r >= 0 && b.n == 0)
                log_notice("No guest matches.");
        if (r >= 0) {
                b.progress = b.progress && b.pending > 1;
                r = wait_all(&b, a->wait_s);
        }
        if (r < 0) {
                log_error_errno(r, "Failed while waiting for answers: %m");
                batch_free(&b);
                return EXIT_INTERNAL;
        }
        if (b.progress)
                fputs("\r\033[K", stderr);
        r = batch_exit(&b);
        batch_free(&b);
        return r;
}

/* --db, or the default database when serve made one: a failure with the default is no error. */
static int open_db(struct request_args *a)
{
        int r;

        /* serve makes the database: a mistyped --db must not make an empty one. */
        if (a->db_path)
                return db_open_existing(a->db_path, &a->db);
        if (access(DB_DEFAULT_PATH, F_OK) < 0)
                return 0;
        r = db_open(DB_DEFAULT_PATH, &a->db);
        if (r < 0)
                log_warning("Requests are not recorded: serve will not count their answers.");
        return 0;
}

static int request_main(struct request_args *a)
{
        _cleanup_free_ unsigned *ids = NULL;
        struct xstore *x = NULL;
        unsigned n;
        int r;

        r = xstore_open(&x);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to xenstore: %m");
                return EXIT_INTERNAL;
        }
        r = domains_select(x, a->domains, a->n_domains, &ids, &n);
        if (r < 0) {
                xstore_close(x);
                return r == -ENOENT ? EXIT_FAILED : EXIT_INTERNAL;
        }
        r = open_db(a);
        if (r < 0) {
                xstore_close(x);
                return r == -ENOENT ? EXIT_FAILED : EXIT_INTERNAL;
        }
        r = run_batch(x, a, ids, n);
        xstore_close(x);
        db_close(a->db);
        return r;
}

int cmd_request(int argc, char **argv)
{
        struct request_args a = { .wait_s = WAIT_DEFAULT_S };
        int r = request_parse(argc, argv, &a);

        r = r < 0 ? EXIT_USAGE : r == 0 ? 0 : request_main(&a);
        filter_done(&a.filter);
        return r;
}
