/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "monitor.h"
#include "inspect.h"
#include "render.h"
#include "strv.h"
#include "util.h"

/*
 * Test hook, only in builds configured with --enable-fault-injection: SIGKILL
 * this process right after its Nth journal write.
 */
#define CRASH_ENV "PVH_MONITOR_MIGRATE_CRASH_AFTER"
/* Test hook, as above: the seconds between the lines that say what a run waits for (30). */
#define NOTE_ENV "PVH_MONITOR_MIGRATE_NOTE_EVERY"
#define NOTE_EVERY_S 30
/* With it: the signal sent instead of SIGKILL (a number), for the interruption tests. */
#define CRASH_SIGNAL_ENV "PVH_MONITOR_MIGRATE_CRASH_SIGNAL"
/*
 * And where it goes: "run" the run's process, as kill(1) of its pid would,
 * "group" its process group, as a terminal's Ctrl-C (a run in a session of
 * its own: the group is the run and its workers); else the process that
 * wrote, and with SIGKILL the run too.
 */
#define CRASH_TARGET_ENV "PVH_MONITOR_MIGRATE_CRASH_TARGET"

enum crash_target { CRASH_WRITER, CRASH_RUN, CRASH_GROUP };

/* How long resume waits for the command an interrupted run left to die. */
#define LEFTOVER_KILL_USEC (10 * 1000000ULL)

struct ctx {
        struct mdb *d;
        struct xstore *x;
        struct mig *m;
        struct mguest *g;
        unsigned n;
        const struct mrun_opts *o;
        unsigned crash_after, writes;
        unsigned *shared_writes; /* the count of writes over the run and its workers, or NULL */
        uint64_t began;          /* CLOCK_MONOTONIC, when this run began */
        struct mguest *cur;      /* the guest in its chain of steps */
        uint64_t noted;          /* when a wait was last said */
        unsigned note_every;     /* seconds */
        int crash_signal;
        enum crash_target crash_target;
        /* --parallel: each guest in flight runs in a worker process. */
        pid_t *pid;              /* per guest: its worker, 0 none */
        bool *started;           /* per guest: it had its worker in this run */
        unsigned running;        /* workers alive */
};

enum { STEP_OK = 0, STEP_FAILED = 1 };

/* ---- interruption ------------------------------------------------------------ */

/*
 * SIGINT and SIGTERM stop the run where its journal is consistent: the
 * toolstack command running then is killed with its whole process group
 * (from the handler, so that a command that never ends cannot keep the run),
 * the step it ran stays started, and resume does it again. A create is the
 * exception: killed halfway it would leave a domain that never boots, which
 * resume would take for the one it created, so it is left to end (within
 * the toolstack timeout) and only a second signal kills it. SIGHUP is
 * ignored, and so is SIGPIPE: a run survives the terminal it was started
 * from, and a pipe it writes to (| tee) that went with the terminal.
 */
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t child_pgid; /* the group of the command running now, 0 none */
static volatile sig_atomic_t child_finish; /* that command is a create: the first signal spares it */
/*
 * With --parallel, the run and its workers stop together, whichever of them
 * got the signal: a worker tells the run (run_parent), the run every worker.
 */
static volatile sig_atomic_t run_parent; /* in a worker: the run's pid; 0 in the run */
static volatile sig_atomic_t workers[MRUN_PARALLEL_MAX];

/* The signal came from the run or one of its workers, passing on one of the user's. */
static bool passed_on(const siginfo_t *si)
{
        if (si->si_code != SI_USER || si->si_pid <= 0)
                return false;
        if (run_parent > 0 && si->si_pid == (pid_t)run_parent)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(workers); i++)
                if (workers[i] > 0 && si->si_pid == (pid_t)workers[i])
                        return true;
        return false;
}

static void on_stop(int sig, siginfo_t *si, void *uctx)
{
        int e = errno;
        bool first = !stop_signal;

        stop_signal = sig;
        if (child_pgid > 0 && !(child_finish && (first || passed_on(si))))
                kill(-(pid_t)child_pgid, SIGKILL);
        if (first && run_parent > 0)
                kill((pid_t)run_parent, sig);
        for (size_t i = 0; first && i < ELEMENTSOF(workers); i++)
                if (workers[i] > 0)
                        kill((pid_t)workers[i], sig);
        errno = e;
}

static void signals_catch(bool on)
{
        /* No SA_RESTART: the waits in poll() return at once. */
        struct sigaction stop = { .sa_flags = on ? SA_SIGINFO : 0 };
        struct sigaction ign = { .sa_handler = on ? SIG_IGN : SIG_DFL };

        if (on)
                stop.sa_sigaction = on_stop;
        else
                stop.sa_handler = SIG_DFL;
        sigemptyset(&stop.sa_mask);
        sigemptyset(&ign.sa_mask);
        sigaction(SIGINT, &stop, NULL);
        sigaction(SIGTERM, &stop, NULL);
        sigaction(SIGHUP, &ign, NULL);
        sigaction(SIGPIPE, &ign, NULL);
}

/* ---- progress ---------------------------------------------------------------- */

static void emit_json(const struct ctx *c, const char *event, int wave, const struct mguest *g,
                      const char *detail)
{
        printf("{\"migration\":%" PRId64 ",\"event\":", c->m->id);
        render_json_cstr(stdout, event);
        if (wave >= 0)
                printf(",\"wave\":%d", wave + 1);
        if (g) {
                printf(",\"guest\":");
                render_json_cstr(stdout, g->name);
                printf(",\"domid\":%u,\"step\":\"%s\",\"state\":\"%s\"", g->domid,
                       mg_step_to_string(g->step), mg_state_to_string(g->state));
        }
        if (detail) {
                printf(",\"detail\":");
                render_json_cstr(stdout, detail);
        }
        printf(",\"at\":%lld}\n", (long long)time(NULL));
}

/* A line for people starts with the time of day and the time since the run began. */
static void stamp(const struct ctx *c)
{
        char now[MVIEW_CLOCK_MAX], took[MVIEW_CLOCK_MAX];

        printf("%s +%-7s ", mview_clock(time(NULL), false, now),
               mview_duration((int64_t)((now_usec(CLOCK_MONOTONIC) - c->began) / 1000000), took));
}

static void emit(const struct ctx *c, const char *event, int wave, const struct mguest *g,
                 const char *detail)
{
        if (c->o->json)
                emit_json(c, event, wave, g, detail);
        else {
                stamp(c);
                if (g)
                        printf("  %-20s %-10s %s%s%s\n", g->name, mg_step_to_string(g->step), event,
                               detail ? ": " : "", detail ? detail : "");
                else
                        printf("%s%s%s\n", event, detail ? ": " : "", detail ? detail : "");
        }
        fflush(stdout);
}

/* What the guest in its chain waits for, in words. */
static const char *waits_for(const struct mguest *g)
{
        switch (g->step) {
        case MS_RESTART:
        case MS_RESTART_PV:
                return "its old domain to go away";
        case MS_VERIFY:
                return g->agentless ? "the toolstack to run it as PVH, its frontends connected"
                                    : "its agent to report PVH, a new boot id and its addresses";
        case MS_WAIT_PV:
                return g->agentless ? "the toolstack to run it as PV" : "its agent to report PV";
        case MS_NONE:
        case MS_CHECK:
        case MS_PREPARE:
        case MS_READY:
        case MS_SWITCH:
        case MS_ARM:
        case MS_RESTORE:
        case MS_ROLLBACK:
        case _MS_MAX:
                break;
        }
        return "its domain";
}

/* While a step waits: a line every note_every seconds saying for what and how long is left. */
static void note_wait(struct ctx *c, uint64_t deadline)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        char detail[160];

        if (!c->cur || now < c->noted + (uint64_t)c->note_every * 1000000)
                return;
        if (!c->noted) {
                c->noted = now;
                return;
        }
        c->noted = now;
        snprintf(detail, sizeof(detail), "for %s, %" PRIu64 " s left", waits_for(c->cur),
                 deadline > now ? (deadline - now) / 1000000 : 0);
        emit(c, "waiting", c->cur->wave, c->cur, detail);
}

/* ---- the journal ------------------------------------------------------------- */

#ifdef ENABLE_FAULT_INJECTION
static void crash_send(const struct ctx *c, int sig)
{
        pid_t run = run_parent > 0 ? (pid_t)run_parent : getpid();

        switch (c->crash_target) {
        case CRASH_GROUP:
                kill(0, sig);
                return;
        case CRASH_RUN:
                /* A worker that killed the run goes with it (PR_SET_PDEATHSIG), as every other does. */
                kill(run, sig);
                return;
        case CRASH_WRITER:
                break;
        }
        /* A worker takes the run with it; the run's death takes the other workers. */
        if (sig == SIGKILL && run_parent > 0)
                kill(run, SIGKILL);
        raise(sig);
}
#endif

static void crash_maybe(struct ctx *c)
{
#ifdef ENABLE_FAULT_INJECTION
        unsigned n;

        if (!c->crash_after)
                return;
        /* With workers, the Nth write of them all and the run. */
        n = c->shared_writes ? __atomic_add_fetch(c->shared_writes, 1, __ATOMIC_SEQ_CST) : ++c->writes;
        if (n < c->crash_after)
                return;
        /* A signal other than SIGKILL: sent after every write from the Nth on. */
        if (c->crash_signal) {
                log_notice(CRASH_ENV "=%u: signal %d.", c->crash_after, c->crash_signal);
                crash_send(c, c->crash_signal);
                return;
        }
        if (n == c->crash_after) {
                log_notice(CRASH_ENV "=%u: killing myself.", c->crash_after);
                crash_send(c, SIGKILL);
        }
#endif
}

static int journal(struct ctx *c, struct mguest *g, const char *event, const char *detail)
{
        int r = mdb_guest_save(c->d, g, event, detail);

        if (r < 0)
                return log_error_errno(r, "Failed to record the step of '%s': %m", g->name);
        emit(c, event, g->wave, g, detail);
        crash_maybe(c);
        return 0;
}

/* Sets or extends the guest's failure reason; returns STEP_FAILED. */
_printf_(2, 3) static int fail(struct mguest *g, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        char *joined = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        if (g->reason && asprintf(&joined, "%s; %s", g->reason, msg) < 0)
                return -ENOMEM;
        free(g->reason);
        g->reason = joined ? joined : TAKE_PTR(msg);
        return STEP_FAILED;
}

static int skip(struct mguest *g, const char *fmt, ...) _printf_(2, 3);
static int skip(struct mguest *g, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return -ENOMEM;
        free(g->reason);
        g->reason = msg;
        g->state = MG_SKIPPED;
        return STEP_OK;
}

/* ---- steps -------------------------------------------------------------------- */

static const char *cfg_path(const struct mguest *g)
{
        return g->config;
}

static int check_config(const struct ctx *c, struct mguest *g, bool *ret_ok)
{
        _cleanup_free_ char *reason = NULL;
        int r;

        *ret_ok = false;
        if (c->m->s.hook) {
                *ret_ok = true;
                return 0;
        }
        r = mts_inspect(&c->m->s, g->name, cfg_path(g), &reason);
        if (r < 0)
                return r;
        if (r > 0)
                return skip(g, "%s", reason);
        *ret_ok = true;
        return 0;
}

/* A guest without an agent: the toolstack runs it as PV and its configuration can be switched. */
static int step_check_agentless(struct ctx *c, struct mguest *g, unsigned domid)
{
        const char *type = inspect_domain_type(c->x, domid);
        bool ok;
        int r;

        if (!type || !streq(type, "PV"))
                return skip(g, "the toolstack runs it as %s, not PV", type ? type : "unknown");
        r = check_config(c, g, &ok);
        if (r >= 0 && ok)
                g->old_domid = g->domid = domid;
        return r;
}

static int step_check(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *reason = NULL;
        struct msnap s = {};
        unsigned domid;
        bool ok;
        int r;

        r = mguest_find(c->x, g->name, &domid);
        if (r == -ENOENT)
                return skip(g, "no running domain is named %s", g->name);
        if (r < 0)
                return r;
        /* Planned --require-trial: what held at plan time must still hold (a kernel update since?). */
        if (c->m->s.require_trial) {
                _cleanup_free_ char *untried = NULL;

                r = mdb_trial_reason(c->d, g->name, &untried);
                if (r < 0)
                        return r;
                if (untried)
                        return skip(g, "%s", untried);
        }
        if (g->agentless)
                return step_check_agentless(c, g, domid);
        r = mguest_snapshot(c->x, domid, &s);
        if (r < 0)
                return r;
        if (s.agent != GUEST_AGENT_OK)
                r = skip(g, "no compatible agent (%s)", s.verdict);
        else if ((r = mguest_ping(c->x, c->d, domid, g->name, &reason)) != 0)
                r = r < 0 ? r : skip(g, "%s", reason);
        else if (!streq(s.guest_type, "PV"))
                r = skip(g, "the guest runs as %s, not PV", s.guest_type[0] ? s.guest_type : "unknown");
        else if (streq(s.verdict, "blocked"))
                r = skip(g, "blocked: %s", s.failing && *s.failing ? s.failing : "a check fails");
        else if (streq(s.verdict, "fixable") && !(s.actions & (1u << PROTO_ACTION_PREPARE)))
                r = skip(g, "%s", (reason = mguest_no_prepare(&s)) ? reason : "fixable, without prepare");
        else if (streq(s.verdict, "fixable") && c->m->s.no_prepare)
                r = skip(g, "%s", (reason = mguest_fixable_unprepared(&s)) ? reason : "fixable, not prepared");
        else if (!streq(s.verdict, "ready") && !streq(s.verdict, "fixable"))
                r = skip(g, "verdict %s", s.verdict);
        else if (!s.boot_id[0])
                r = skip(g, "the agent publishes no boot id: a restart could not be verified");
        else {
                r = check_config(c, g, &ok);
                if (r >= 0 && ok) {
                        free(g->verdict);
                        free(g->boot_id);
                        free(g->addrs);
                        g->verdict = strdup(s.verdict);
                        g->boot_id = strdup(s.boot_id);
                        g->addrs = TAKE_PTR(s.addrs);
                        g->old_domid = g->domid = domid;
                        if (!g->verdict || !g->boot_id)
                                r = -ENOMEM;
                }
        }
        msnap_done(&s);
        return r;
}

static const char *outcome_text(enum mreq_outcome o)
{
        switch (o) {
        case MREQ_DONE:
                return "done";
        case MREQ_FAILED:
                return "failed";
        case MREQ_TIMEOUT:
                return "no answer in time";
        case MREQ_GONE:
                return "the domain went away";
        }
        return "?";
}

static int request(struct ctx *c, struct mguest *g, enum proto_action a, char **ret_msg)
{
        enum mreq_outcome o;
        char *msg = NULL;
        int r;

        r = mdb_request_sent(c->d, g->request_id, g->domid, g->name, a);
        if (r >= 0)
                r = mguest_request(c->x, g->domid, a, g->request_id, c->m->s.request_timeout, &o,
                                   &msg);
        if (r < 0)
                return r;
        if (o == MREQ_DONE) {
                *ret_msg = msg;
                return STEP_OK;
        }
        r = fail(g, "%s %s%s%s", proto_action_to_string(a), outcome_text(o), msg && *msg ? ": " : "",
                 msg ? msg : "");
        free(msg);
        return r;
}

static int step_prepare(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *msg = NULL;

        return request(c, g, PROTO_ACTION_PREPARE, &msg);
}

/*
 * The verdict must be ready. A probe, when the agent offers it, re-runs the
 * checks now: after prepare, the published verdict may not be the new one yet.
 */
static int step_ready(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *msg = NULL;
        struct msnap s = {};
        int r;

        if (g->agentless) {
                /* No agent to ask: the disks are inspected again, as they are now. */
                r = magentless_ready(c->x, c->o->db_path, &c->m->s, g, &msg);
                return r == 1 ? fail(g, "before the switch, %s", msg) : r < 0 ? r : STEP_OK;
        }

        r = mguest_snapshot(c->x, g->domid, &s);
        if (r < 0)
                return r;
        if (s.agent != GUEST_AGENT_OK)
                r = fail(g, "the agent is gone before the switch");
        else if (s.actions & (1u << PROTO_ACTION_PROBE)) {
                r = request(c, g, PROTO_ACTION_PROBE, &msg);
                /* The answer's message is the verdict, after the word "verdict". */
                if (r == STEP_OK && !streq(msg, "ready") && !streq(msg, "verdict ready")) {
                        msnap_done(&s);
                        r = mguest_snapshot(c->x, g->domid, &s);
                        if (r >= 0)
                                r = fail(g, "verdict %s before the switch%s%s", msg,
                                         s.failing && *s.failing ? ": " : "", s.failing ? s.failing : "");
                }
        } else if (!streq(s.verdict, "ready"))
                r = fail(g, "verdict %s before the switch%s%s", s.verdict,
                         s.failing && *s.failing ? ": " : "", s.failing ? s.failing : "");
        else
                r = STEP_OK;
        msnap_done(&s);
        return r;
}

struct tracked {
        struct ctx *c;
        struct mguest *g;
};

/* The command's group is in the journal before the program runs: a resume after a kill ends it first. */
static int child_started(pid_t pid, void *userdata)
{
        const struct tracked *t = userdata;
        struct spawn_group grp;
        int r = spawn_group_of(pid, &grp);

        if (r >= 0)
                r = mdb_child_set(t->c->d, t->g, &grp);
        if (r < 0)
                return log_error_errno(r, "Failed to record the command of '%s': %m", t->g->name);
        child_pgid = pid;
        /* A signal that came before the group was known: the program never runs. */
        return stop_signal ? -EINTR : 0;
}

/*
 * Runs a toolstack command for up to timeout seconds; STEP_FAILED with
 * *ret_why saying why, or a negative errno (a signal: -EINTR).
 */
static int run_cmd_within(struct ctx *c, struct mguest *g, char *const argv[], const char *what, unsigned timeout,
                          char **ret_why)
{
        struct tracked t = { c, g };
        _cleanup_free_ char *out = NULL;
        int r = mexec_tracked(argv, timeout, child_started, &t, &out), q;

        *ret_why = NULL;
        /* Reaped: its pid may be anyone's now. */
        child_pgid = 0;
        q = mdb_child_set(c->d, g, NULL);
        if (q < 0)
                return q;
        if (stop_signal)
                return -EINTR;
        if (r == 0)
                return STEP_OK;
        if (r == -ETIMEDOUT)
                q = asprintf(ret_why, "%s: no end after %u s", what, timeout);
        else if (r < 0)
                q = asprintf(ret_why, "%s: %s", what, strerror(-r));
        else
                q = asprintf(ret_why, "%s: exit status %d%s%s", what, r, out && *out ? ": " : "", out ? out : "");
        if (q < 0) {
                *ret_why = NULL;
                return -ENOMEM;
        }
        return STEP_FAILED;
}

static int run_cmd_why(struct ctx *c, struct mguest *g, char *const argv[], const char *what, char **ret_why)
{
        return run_cmd_within(c, g, argv, what, c->m->s.toolstack_timeout, ret_why);
}

static int run_cmd(struct ctx *c, struct mguest *g, char *const argv[], const char *what)
{
        _cleanup_free_ char *why = NULL;
        int r = run_cmd_why(c, g, argv, what, &why);

        return r == STEP_FAILED ? fail(g, "%s", why) : r;
}

static int hook(struct ctx *c, struct mguest *g, const char *verb)
{
        char *argv[] = { c->m->s.hook, (char *)verb, g->name, g->config, NULL };
        char what[64];

        snprintf(what, sizeof(what), "configuration hook %s", verb);
        return run_cmd(c, g, argv, what);
}

/* The driver's command (none: nothing to run), journaled and run as every toolstack command. */
static int run_driver_cmd(struct ctx *c, struct mguest *g, char **argv)
{
        _cleanup_free_ char *what = NULL;

        if (!argv)
                return STEP_OK;
        what = mts_argv_text(argv + 1);
        return run_cmd(c, g, argv, what ? what : argv[0]);
}

static int step_switch(struct ctx *c, struct mguest *g)
{
        _cleanup_strv_ char **cmd = NULL;
        _cleanup_free_ char *reason = NULL;
        int r;

        if (c->m->s.hook)
                return hook(c, g, "to-pvh");
        r = mts_switch(&c->m->s, g->name, g->config, &cmd, &reason);
        if (r == -EINVAL && reason && c->m->s.kind == MTS_XL)
                return fail(g, "%s: %s", g->config, reason);
        if (r == -EINVAL && reason)
                return fail(g, "%s", reason);
        if (r < 0)
                return fail(g, "cannot switch %s: %s", g->config, strerror(-r));
        return run_driver_cmd(c, g, cmd);
}

static int find_or_zero(struct ctx *c, const char *name, unsigned *ret)
{
        int r = mguest_find(c->x, name, ret);

        if (r == -ENOENT) {
                *ret = 0;
                return 0;
        }
        return r;
}

/* The running domain's saved configuration: what the toolstack applies when the guest reboots. */
/* As config_update(), STEP_FAILED with *ret_failed saying why (a driver that cannot: its reason). */
static int config_update_why(struct ctx *c, struct mguest *g, char **ret_failed)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *what = NULL;
        int r = mts_command(&c->m->s, MTS_ARM, g->name, g->config, false, &argv, ret_failed);

        if (r < 0)
                return *ret_failed ? STEP_FAILED : r;
        if (!argv)
                return STEP_OK;
        what = mts_argv_text(argv + 1);
        return run_cmd_why(c, g, argv, what ? what : argv[0], ret_failed);
}

static int config_update(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *why = NULL;
        int r = config_update_why(c, g, &why);

        return r == STEP_FAILED ? fail(g, "%s", why) : r;
}

static int step_arm(struct ctx *c, struct mguest *g)
{
        if (!g->domid)
                return fail(g, "no domain named %s runs: nothing to arm", g->name);
        return config_update(c, g);
}

/*
 * An armed guest that did not reboot gets its PV configuration back in the
 * running domain's saved one too. One that rebooted meanwhile, as PVH, is
 * restarted as PV by the steps that follow.
 */
static int disarm(struct ctx *c, struct mguest *g)
{
        unsigned cur;
        int r = find_or_zero(c, g->name, &cur);

        if (r < 0 || !cur)
                return r < 0 ? r : STEP_OK;
        if (cur != g->domid) {
                g->restarted = true;
                g->domid = cur;
                return STEP_OK;
        }
        return config_update(c, g);
}

static int step_restore(struct ctx *c, struct mguest *g)
{
        int r;

        if (c->m->s.hook)
                r = hook(c, g, "to-pv");
        else {
                _cleanup_strv_ char **cmd = NULL;
                _cleanup_free_ char *why = NULL;

                r = mts_restore(&c->m->s, g->name, g->config, &cmd, &why);
                if (r < 0)
                        return why ? fail(g, "%s", why) : fail(g, "cannot restore %s: %s", g->config, strerror(-r));
                r = run_driver_cmd(c, g, cmd);
        }
        if (r != STEP_OK || !c->m->s.at_next_reboot || g->restarted)
                return r;
        return disarm(c, g);
}

/*
 * xl shutdown -w returns once the guest has shut down; the toolstack may
 * take a moment more to destroy the domain. Waits (on @releaseDomain, up to
 * the toolstack timeout) until no domain of that name has the old id.
 */
static int poll_once(struct ctx *c, uint64_t deadline);

static int wait_gone(struct ctx *c, struct mguest *g, unsigned *ret_cur)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t)c->m->s.toolstack_timeout * 1000000;
        int r = xstore_watch(c->x, "@releaseDomain", "mig:release");

        if (r < 0)
                return r;
        for (;;) {
                r = find_or_zero(c, g->name, ret_cur);
                if (r < 0 || *ret_cur != g->domid || now_usec(CLOCK_MONOTONIC) >= deadline)
                        break;
                r = poll_once(c, deadline);
                if (r < 0)
                        break;
        }
        xstore_unwatch(c->x, "@releaseDomain", "mig:release");
        return r;
}

/*
 * The domain is gone from xenstore; libvirt marks it shut off a moment
 * after (its libxl driver destroys the domain, then cleans up), and a start
 * before that is refused as "already active". Waits, up to the toolstack
 * timeout, until the toolstack says so.
 */
static int wait_stopped(struct ctx *c, struct mguest *g)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t)c->m->s.toolstack_timeout * 1000000;
        const struct timespec pause = { .tv_nsec = 200 * 1000 * 1000 };
        int r;

        while ((r = mts_stopped(&c->m->s, g->name)) == 0) {
                if (stop_signal)
                        return -EINTR;
                if (now_usec(CLOCK_MONOTONIC) >= deadline)
                        return fail(g, "the toolstack still has %s running %u s after its domain went", g->name,
                                    c->m->s.toolstack_timeout);
                nanosleep(&pause, NULL);
        }
        return r < 0 ? fail(g, "cannot ask the toolstack whether %s stopped: %s", g->name, strerror(-r)) : STEP_OK;
}

/*
 * g->domid is the domain this step replaces, recorded before acting: when a
 * domain of that name still has it, shut it down; when none has the name,
 * create it; a domain of that name with another id was created already.
 *
 * A guest that crashed or faulted may be between two domains: shut down
 * for a reboot while the toolstack's daemon destroys it and creates it
 * again from its saved configuration. A shutdown then fails (xl: "invalid
 * domain identifier"), and so may a create that meets the daemon's. Once
 * the name has settled, the domain the toolstack created goes in its turn,
 * a few times at most.
 */
#define RESTART_TRIES 3

/*
 * On the way back the domain to shut down is the boot that failed: one that
 * never got to run its kernel, or runs it broken, may never act on a
 * shutdown request (pvhgrub does not). It is given this long, then turned
 * off (xl destroy): its disk holds nothing that boot wrote for good.
 */
#define BACK_SHUTDOWN_MAX_S 120

/* Turns g->domid off at once (the way back only); *ret_failed: why it could not be. */
static int force_off(struct ctx *c, struct mguest *g, char **ret_failed)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *why = NULL, *detail = NULL, *refused = TAKE_PTR(*ret_failed);
        int r;

        r = mts_command(&c->m->s, MTS_KILL, g->name, g->config, false, &argv, &why);
        if (r < 0)
                return why ? fail(g, "%s; %s", refused, why) : r;
        if (asprintf(&detail, "domain %u did not shut down (%s): turned off", g->domid, refused) < 0)
                return -ENOMEM;
        r = journal(c, g, "forced", detail);
        if (r < 0)
                return r;
        r = run_cmd_why(c, g, argv, argv[1], &why);
        if (r == STEP_FAILED)
                return fail(g, "%s; %s", refused, why);
        return r;
}

/* Shuts down g->domid; *ret_cur: the domain of the name after (0: none); *ret_failed: why the command failed. */
static int shut_down(struct ctx *c, struct mguest *g, unsigned *ret_cur, char **ret_failed)
{
        _cleanup_strv_ char **shut = NULL;
        _cleanup_free_ char *why = NULL;
        unsigned timeout = c->m->s.toolstack_timeout;
        bool back = g->step == MS_RESTART_PV;
        const char *down;
        int r;

        r = mts_command(&c->m->s, MTS_STOP, g->name, g->config, false, &shut, &why);
        if (r < 0)
                return why ? fail(g, "%s", why) : r;
        if (back && timeout > BACK_SHUTDOWN_MAX_S)
                timeout = BACK_SHUTDOWN_MAX_S;
        r = run_cmd_within(c, g, shut, "shutdown", timeout, ret_failed);
        if (r < 0)
                return r;
        /*
         * A domain that runs on refused the shutdown or ignored it: no use
         * waiting for it to go. On the way back it is turned off instead.
         */
        if (*ret_failed) {
                r = find_or_zero(c, g->name, ret_cur);
                if (r < 0)
                        return r;
                if (*ret_cur == g->domid && mts_shutdown_reason(&c->m->s, g->name, g->config, &down) == 0) {
                        if (!back)
                                return fail(g, "%s", *ret_failed);
                        r = force_off(c, g, ret_failed);
                        if (r != STEP_OK)
                                return r;
                }
        }
        r = wait_gone(c, g, ret_cur);
        if (r < 0)
                return r;
        if (*ret_cur != g->domid)
                return STEP_OK;
        return *ret_failed ? fail(g, "%s", *ret_failed)
                           : fail(g, "domain %u still there %u s after %s", *ret_cur, c->m->s.toolstack_timeout,
                                  shut[1]);
}

static int create(struct ctx *c, struct mguest *g, char **ret_failed)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *why = NULL;
        int r;

        r = wait_stopped(c, g);
        if (r != STEP_OK)
                return r;
        r = mts_command(&c->m->s, MTS_START, g->name, g->config, false, &argv, &why);
        if (r < 0)
                return why ? fail(g, "%s", why) : r;
        magentless_console_mark(&c->m->s, g);
        child_finish = 1;
        r = run_cmd_why(c, g, argv, "create", ret_failed);
        child_finish = 0;
        return r;
}

static int restart(struct ctx *c, struct mguest *g)
{
        unsigned cur;
        int r;

        r = find_or_zero(c, g->name, &cur);
        if (r < 0)
                return r;
        for (unsigned i = 1;; i++) {
                _cleanup_free_ char *failed = NULL, *detail = NULL;

                if (cur && cur == g->domid) {
                        r = shut_down(c, g, &cur, &failed);
                        if (r != STEP_OK)
                                return r;
                }
                if (!cur) {
                        free(failed);
                        r = create(c, g, &failed);
                        if (r < 0 || (r != STEP_OK && !failed))
                                return r;
                        r = find_or_zero(c, g->name, &cur);
                        if (r < 0)
                                return r;
                        if (!failed && !cur)
                                return fail(g, "no domain named %s after create", g->name);
                        if (!cur)
                                return fail(g, "%s", failed);
                }
                if (!failed)
                        break;
                /* The toolstack created it again meanwhile: that one goes too. */
                if (i == RESTART_TRIES)
                        return fail(g, "%s; the toolstack created %s again %u times", failed, g->name, i);
                if (asprintf(&detail, "domain %u, created by the toolstack in place of %u (%s)", cur, g->domid,
                             failed) < 0)
                        return -ENOMEM;
                g->domid = cur;
                r = journal(c, g, "replaced", detail);
                if (r < 0)
                        return r;
        }
        g->domid = cur;
        return STEP_OK;
}

static int step_restart_pv(struct ctx *c, struct mguest *g)
{
        unsigned cur;
        int r;

        if (!g->restarted)
                return STEP_OK;
        r = find_or_zero(c, g->name, &cur);
        if (r < 0)
                return r;
        /* Still the boot from before the migration: the PV configuration is back, nothing to do. */
        if (cur && cur == g->old_domid) {
                g->domid = cur;
                return STEP_OK;
        }
        /*
         * The domain to replace may be one that faults and reboots: its saved
         * configuration (PVH) is what the toolstack restarts it from. It gets
         * the PV one first where the toolstack takes it (xl config-update),
         * so a restart that comes meanwhile comes back PV. Best effort: a
         * domain between two boots refuses it, and the shutdown copes.
         */
        if (cur) {
                _cleanup_free_ char *failed = NULL;

                r = config_update_why(c, g, &failed);
                if (r < 0)
                        return r;
                if (r == STEP_FAILED)
                        log_info("%s: %s; shutting it down all the same", g->name, failed);
        }
        return restart(c, g);
}

/* What keeps the guest from counting as booted; NULL when it does. */
static char *boot_missing(const struct mguest *g, const struct msnap *s, const char *type,
                          bool new_boot)
{
        _cleanup_free_ char *missing = NULL;
        char *why = NULL;

        if (s->agent != GUEST_AGENT_OK)
                return strdup("no agent");
        if (!streq(s->guest_type, type))
                return asprintf(&why, "guest_type %s, expected %s",
                                s->guest_type[0] ? s->guest_type : "absent", type) < 0 ? NULL : why;
        if (!s->boot_id[0])
                return strdup("no boot id");
        if (new_boot && g->boot_id && streq(s->boot_id, g->boot_id))
                return strdup("the boot id did not change");
        if (!mguest_addrs_cover(s->addrs, g->addrs, &missing))
                return asprintf(&why, "addresses missing: %s", missing ? missing : "?") < 0 ? NULL : why;
        return NULL;
}

static int watch_domain(struct ctx *c, unsigned domid, bool on)
{
        char path[PROTO_DOMAIN_PATH_MAX];

        proto_domain_path(domid, PROTO_GUEST_DIR, path, sizeof(path));
        return on ? xstore_watch(c->x, path, "mig:guest") : xstore_unwatch(c->x, path, "mig:guest");
}

/*
 * Sleeps until a watch fires, for a second at most (domains come and go
 * meanwhile). 1 when @releaseDomain fired: a domain shut down or went.
 */
static int poll_once(struct ctx *c, uint64_t deadline)
{
        struct pollfd p = { .fd = xstore_fd(c->x), .events = POLLIN };
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        uint64_t ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
        bool released = false;

        note_wait(c, deadline);
        if (poll(&p, 1, ms > 1000 ? 1000 : (int)ms) < 0 && errno != EINTR)
                return -errno;
        if (stop_signal)
                return -EINTR;
        for (;;) {
                _cleanup_free_ char **ev = NULL;
                int r = xstore_next_event(c->x, &ev);

                if (r <= 0)
                        return r < 0 ? r : released;
                released |= streq(ev[0], "@releaseDomain");
        }
}

/*
 * Without an agent to tell, a boot counts once the domain has stayed up,
 * the same domain, as type with its frontends connected, for the settle
 * time: a kernel that panics or a guest that reboots in a loop shows then.
 */
static char *agentless_missing(struct ctx *c, struct mguest *g, unsigned domid, const char *type)
{
        char *why = magentless_missing(c->x, &c->m->s, domid, g->name, type);

        return why ? why : magentless_console_missing(&c->m->s, g);
}

/*
 * With an agent, once it reported the boot (plan --agent-settle): the same
 * domain stays up, neither crashed nor shut down, and its console shows no
 * kernel panic. The toolstack is asked when ask is true (the first time,
 * and when some domain shut down).
 */
static char *agent_settle_missing(struct ctx *c, struct mguest *g, bool ask)
{
        const char *down = NULL;
        char *why = magentless_console_missing(&c->m->s, g);
        int r;

        if (why || !ask)
                return why;
        r = mts_shutdown_reason(&c->m->s, g->name, g->config, &down);
        if (r < 0)
                return strdup_printf("the toolstack cannot say how the domain is (%s)", strerror(-r));
        return r > 0 ? mtoolstack_down_why(down) : NULL;
}

/*
 * The settle time of a boot verified: --settle for a guest without an agent
 * (it counts only then), --agent-settle after an agent's report.
 */
static int settle(struct ctx *c, struct mguest *g, const char *type)
{
        unsigned secs = g->agentless ? c->m->s.settle : c->m->s.agent_settle;
        uint64_t end = now_usec(CLOCK_MONOTONIC) + (uint64_t)secs * 1000000;
        _cleanup_free_ char *why = NULL;
        bool released = true;
        unsigned cur;
        int r;

        r = xstore_watch(c->x, "@releaseDomain", "mig:settle");
        if (r < 0)
                return r;
        for (;;) {
                r = find_or_zero(c, g->name, &cur);
                if (r < 0)
                        break;
                free(why);
                why = cur != g->domid ? strdup(cur ? "the domain was restarted" : "the domain is gone")
                      : g->agentless  ? agentless_missing(c, g, cur, type)
                                      : agent_settle_missing(c, g, released);
                if (why || now_usec(CLOCK_MONOTONIC) >= end)
                        break;
                r = poll_once(c, end);
                if (r < 0)
                        break;
                released = r > 0;
        }
        xstore_unwatch(c->x, "@releaseDomain", "mig:settle");
        if (r < 0)
                return r;
        return why ? fail(g, "booted as %s, then within %u s: %s", type, secs, why) : STEP_OK;
}

/*
 * The domains that carried the guest's name while its new boot was awaited.
 * A guest that faults as it boots is restarted by the toolstack under a new
 * domid (a triple fault is a reboot to Xen), or shut down for good (a crash,
 * with on_crash=destroy): either shows at once, long before the boot timeout.
 */
struct lifecycle {
        unsigned domid;     /* the domain seen last */
        unsigned restarts;  /* times another domain took the name */
        const char *down;   /* the toolstack's shutdown reason seen last */
        uint64_t gone_since; /* since when no domain has the name; 0: one has */
};

/* Why the boot failed already, or NULL. Asks the toolstack when asked is true (something shut down). */
static char *lifecycle_failure(struct ctx *c, struct mguest *g, struct lifecycle *l, unsigned cur, bool ask)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        const char *down;
        char *why = NULL;

        if (cur && cur != l->domid) {
                l->restarts += l->domid != 0;
                l->domid = cur;
                ask = true;
        }
        l->gone_since = cur ? 0 : l->gone_since ? l->gone_since : now;
        if (cur && ask && mts_shutdown_reason(&c->m->s, g->name, g->config, &down) > 0)
                l->down = down;
        if (l->down && !streq(l->down, "reboot"))
                return asprintf(&why, "the toolstack shows it shut down (%s) after %u restart%s", l->down,
                                l->restarts, l->restarts == 1 ? "" : "s") < 0 ? NULL : why;
        if (c->m->s.max_restarts && l->restarts >= c->m->s.max_restarts)
                return asprintf(&why, "restarted %u times by the toolstack (last shutdown: %s)", l->restarts,
                                l->down ? l->down : "unknown") < 0 ? NULL : why;
        if (l->gone_since && now - l->gone_since >= (uint64_t)c->m->s.settle * 1000000)
                return asprintf(&why, "no domain named %s for %u s, after %u restart%s (last shutdown: %s)",
                                g->name, c->m->s.settle, l->restarts, l->restarts == 1 ? "" : "s",
                                l->down ? l->down : "unknown") < 0 ? NULL : why;
        return NULL;
}

enum { BOOT_NOT_YET, BOOT_YES, BOOT_FAILED };

/* Whether domain cur (0: none) is the guest booted as type; not yet: *ret_why says what is missing. */
static int booted(struct ctx *c, struct mguest *g, unsigned cur, const char *type, bool new_boot,
                  char **ret_why)
{
        struct msnap s = {};
        int r;

        if (!cur) {
                *ret_why = strdup("no domain");
                return BOOT_NOT_YET;
        }
        /* A boot its console shows failed (a panic, GRUB without a kernel) ends now, agent or not. */
        *ret_why = magentless_console_missing(&c->m->s, g);
        if (*ret_why) {
                r = fail(g, "booting as %s: %s", type, *ret_why);
                return r < 0 ? r : BOOT_FAILED;
        }
        if (g->agentless) {
                *ret_why = magentless_missing(c->x, &c->m->s, cur, g->name, type);
                return *ret_why ? BOOT_NOT_YET : BOOT_YES;
        }
        r = mguest_snapshot(c->x, cur, &s);
        if (r < 0)
                return r;
        *ret_why = boot_missing(g, &s, type, new_boot);
        /*
         * A new boot whose agent says it runs as another type will not turn
         * into the one awaited: it fails now, not at the boot timeout.
         */
        if (*ret_why && new_boot && s.agent == GUEST_AGENT_OK && s.boot_id[0] && g->boot_id &&
            !streq(s.boot_id, g->boot_id) && s.guest_type[0] && !streq(s.guest_type, type)) {
                r = fail(g, "a new boot came up with guest_type %s, expected %s", s.guest_type, type);
                msnap_done(&s);
                return r < 0 ? r : BOOT_FAILED;
        }
        msnap_done(&s);
        return *ret_why ? BOOT_NOT_YET : BOOT_YES;
}

/* Waits until the guest named g->name boots as type (a new boot when new_boot). */
static int wait_boot(struct ctx *c, struct mguest *g, const char *type, bool new_boot)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t)c->m->s.boot_timeout * 1000000;
        struct lifecycle life = { .domid = g->domid };
        _cleanup_free_ char *why = NULL;
        unsigned watched = 0, cur;
        int r, state = BOOT_NOT_YET;
        bool released = true;

        r = xstore_watch(c->x, "@introduceDomain", "mig:intro");
        if (r >= 0)
                r = xstore_watch(c->x, "@releaseDomain", "mig:boot-release");
        if (r < 0)
                return r;
        for (;;) {
                r = find_or_zero(c, g->name, &cur);
                if (r < 0)
                        break;
                free(why);
                why = new_boot ? lifecycle_failure(c, g, &life, cur, released) : NULL;
                if (why) {
                        r = fail(g, "booting as %s: %s", type, why);
                        state = BOOT_FAILED;
                        break;
                }
                if (cur && cur != watched) {
                        if (watched)
                                watch_domain(c, watched, false);
                        watched = watch_domain(c, cur, true) >= 0 ? cur : 0;
                }
                r = booted(c, g, cur, type, new_boot, &why);
                if (r < 0)
                        break;
                state = r;
                if (state == BOOT_YES)
                        g->domid = cur;
                if (state != BOOT_NOT_YET)
                        break;
                if (now_usec(CLOCK_MONOTONIC) >= deadline) {
                        r = fail(g, "not booted as %s after %u s: %s", type, c->m->s.boot_timeout,
                                 why ? why : "?");
                        state = BOOT_FAILED;
                        break;
                }
                r = poll_once(c, deadline);
                if (r < 0)
                        break;
                released = r > 0;
        }
        if (watched)
                watch_domain(c, watched, false);
        xstore_unwatch(c->x, "@releaseDomain", "mig:boot-release");
        xstore_unwatch(c->x, "@introduceDomain", "mig:intro");
        if (r < 0)
                return r;
        if (state == BOOT_YES && new_boot && (g->agentless || c->m->s.agent_settle))
                return settle(c, g, type);
        return state == BOOT_YES ? STEP_OK : STEP_FAILED;
}

static int step_rollback(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *msg = NULL;
        struct msnap s = {};
        unsigned cur;
        int r;

        r = mguest_find(c->x, g->name, &cur);
        if (r == -ENOENT)
                return fail(g, "rollback not requested: the domain is not running");
        if (r < 0)
                return r;
        g->domid = cur;
        r = mguest_snapshot(c->x, cur, &s);
        if (r < 0)
                return r;
        r = s.actions & (1u << PROTO_ACTION_ROLLBACK) ? 0 : 1;
        msnap_done(&s);
        if (r)
                return fail(g, "the agent does not offer rollback: undo prepare by hand");
        r = request(c, g, PROTO_ACTION_ROLLBACK, &msg);
        return r;
}

static int act(struct ctx *c, struct mguest *g)
{
        switch (g->step) {
        case MS_CHECK:
                return step_check(c, g);
        case MS_PREPARE:
                return step_prepare(c, g);
        case MS_READY:
                return step_ready(c, g);
        case MS_SWITCH:
                return step_switch(c, g);
        case MS_ARM:
                return step_arm(c, g);
        case MS_RESTART:
                return restart(c, g);
        case MS_VERIFY:
                return wait_boot(c, g, "PVH", true);
        case MS_RESTORE:
                return step_restore(c, g);
        case MS_RESTART_PV:
                return step_restart_pv(c, g);
        case MS_WAIT_PV:
                return wait_boot(c, g, "PV", false);
        case MS_ROLLBACK:
                return step_rollback(c, g);
        case MS_NONE:
        case _MS_MAX:
                break;
        }
        return STEP_OK;
}

/* ---- the chain of steps ------------------------------------------------------ */

static enum mg_step next_step(const struct ctx *c, const struct mguest *g)
{
        static const enum mg_step back[] = { MS_RESTORE, MS_RESTART_PV, MS_WAIT_PV, MS_ROLLBACK };

        if (!g->reason)
                switch (g->step) {
                case MS_NONE:
                        return MS_CHECK;
                case MS_CHECK:
                        return g->verdict && streq(g->verdict, "fixable") ? MS_PREPARE : MS_READY;
                case MS_PREPARE:
                        return MS_READY;
                case MS_READY:
                        return MS_SWITCH;
                case MS_SWITCH:
                        return c->m->s.at_next_reboot ? MS_ARM : MS_RESTART;
                case MS_ARM:
                        return _MS_MAX;
                case MS_RESTART:
                        return MS_VERIFY;
                case MS_VERIFY:
                case MS_RESTORE:
                case MS_RESTART_PV:
                case MS_WAIT_PV:
                case MS_ROLLBACK:
                case _MS_MAX:
                        return _MS_MAX;
                }
        for (size_t i = 0; i < ELEMENTSOF(back); i++) {
                bool applies = back[i] == MS_RESTORE    ? g->switched
                               : back[i] == MS_ROLLBACK ? g->prepared
                                                        : g->restarted;

                if (back[i] > g->step && applies)
                        return back[i];
        }
        return _MS_MAX;
}

static int new_request_id(struct mguest *g)
{
        char s[PROTO_UUID_LEN + 1];
        uuid_t u;

        uuid_generate_random(u);
        uuid_unparse_lower(u, s);
        free(g->request_id);
        g->request_id = strdup(s);
        return g->request_id ? 0 : -ENOMEM;
}

/* What a step records before it acts. */
static int step_setup(struct ctx *c, struct mguest *g)
{
        free(g->request_id);
        g->request_id = NULL;
        switch (g->step) {
        case MS_PREPARE:
                g->prepared = true;
                return new_request_id(g);
        case MS_READY:
        case MS_ROLLBACK:
                return new_request_id(g);
        case MS_SWITCH:
                g->switched = true;
                return 0;
        case MS_RESTART:
                g->restarted = true;
                return find_or_zero(c, g->name, &g->domid);
        case MS_RESTART_PV:
        case MS_ARM:
                return find_or_zero(c, g->name, &g->domid);
        case MS_NONE:
        case MS_CHECK:
        case MS_VERIFY:
        case MS_RESTORE:
        case MS_WAIT_PV:
        case _MS_MAX:
                break;
        }
        return 0;
}

/*
 * The after-guest hook, once the guest's outcome is recorded: its failure
 * is journaled and changes nothing. A run killed in between does not run it
 * on resume: the guest is no longer in its chain.
 */
static int after_hook(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *why = NULL;
        int r = mhook_run(c->m, g, MHOOK_AFTER, &why);

        if (r <= 0)
                return r;
        return journal(c, g, "hook-failed", why);
}

/* The prefix of the reason of a guest put back on PV before its reboot. */
#define DISARMED "disarmed: "

/* Armed: it waits for its reboot, serve resumes the migration then; its outcome is still to come. */
static int guest_armed(struct ctx *c, struct mguest *g)
{
        char detail[64];
        int r;

        g->state = MG_ARMED;
        snprintf(detail, sizeof(detail), "PVH at the next reboot of domain %u", g->domid);
        r = journal(c, g, "armed", detail);
        return r < 0 ? r : mdb_history(c->d, g->name, "PV", "armed");
}

static int guest_finish(struct ctx *c, struct mguest *g)
{
        int r;

        if (!g->reason && g->step == MS_ARM)
                return guest_armed(c, g);
        g->state = g->reason ? MG_FAILED : MG_DONE;
        if (g->reason && startswith(g->reason, DISARMED) && !g->restarted)
                g->state = MG_DISARMED;
        /* Aborted before it changed anything: not a failure. */
        if (g->reason && streq(g->reason, "aborted") && !g->prepared && !g->switched)
                g->state = MG_CANCELLED;
        r = journal(c, g, mg_state_to_string(g->state), g->reason);
        /* An armed guest's outcome comes at its reboot, long after the run: its history says it. */
        if (r >= 0 && c->m->s.at_next_reboot)
                r = mdb_history(c->d, g->name, g->restarted || g->state == MG_DISARMED ? "armed" : "PV",
                                mg_state_to_string(g->state));
        return r < 0 ? r : after_hook(c, g);
}

/*
 * The before-guest hook, before the guest's first step (again on resume when
 * a run was killed before that step was recorded): a non-zero exit skips the
 * guest, with the hook's output as the reason.
 */
static int before_hook(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *why = NULL;
        int r = mhook_run(c->m, g, MHOOK_BEFORE, &why);

        if (r <= 0)
                return r;
        g->state = MG_SKIPPED;
        free(g->reason);
        g->reason = TAKE_PTR(why);
        return journal(c, g, "skipped", g->reason);
}

static int guest_run(struct ctx *c, struct mguest *g)
{
        int r;

        c->cur = g;
        c->noted = 0;
        if (g->state == MG_PENDING) {
                r = before_hook(c, g);
                if (r < 0 || g->state == MG_SKIPPED)
                        return r;
                g->state = MG_ACTIVE;
                g->step = MS_NONE;
                g->step_done = true;
                r = journal(c, g, "begin", NULL);
                if (r < 0)
                        return r;
        }
        while (g->state == MG_ACTIVE) {
                if (stop_signal)
                        return -EINTR;
                if (g->step_done) {
                        enum mg_step next = next_step(c, g);

                        if (next == _MS_MAX)
                                return guest_finish(c, g);
                        g->step = next;
                        g->step_done = false;
                        c->noted = 0;
                        r = step_setup(c, g);
                        if (r >= 0)
                                r = journal(c, g, "started", NULL);
                        if (r < 0)
                                return r;
                }
                r = act(c, g);
                if (r == -EINTR)
                        return r;
                if (r < 0)
                        return log_error_errno(r, "Step %s of '%s' failed: %m",
                                               mg_step_to_string(g->step), g->name);
                g->step_done = true;
                if (g->state == MG_SKIPPED) {
                        r = journal(c, g, "skipped", g->reason);
                        if (r >= 0)
                                r = after_hook(c, g);
                }
                else
                        r = journal(c, g, r == STEP_FAILED ? "step-failed" : "finished",
                                    r == STEP_FAILED ? g->reason : NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- armed guests (at the next reboot) ------------------------------------------ */

/*
 * An armed guest whose domain another took the name of rebooted (the
 * toolstack created it from the saved configuration, PVH): it is verified
 * as after a restart, and put back on PV when that fails. One that still
 * runs its armed domain is disarmed when its agent's verdict turned blocked
 * (a kernel update, say): its next boot would not come up as PVH. Anything
 * else leaves it armed: no domain (between the two of a reboot, or shut
 * down), or no agent to say.
 */
static int armed_poll(struct ctx *c, struct mguest *g)
{
        _cleanup_free_ char *failing = NULL;
        struct msnap s = {};
        char detail[96];
        unsigned cur;
        int r = find_or_zero(c, g->name, &cur);

        if (r < 0 || !cur)
                return r;
        if (cur != g->domid) {
                snprintf(detail, sizeof(detail), "domain %u became domain %u", g->domid, cur);
                g->state = MG_ACTIVE;
                g->step = MS_VERIFY;
                g->step_done = false;
                g->restarted = true;
                g->domid = cur;
                return journal(c, g, "rebooted", detail);
        }
        if (g->agentless)
                return 0;
        r = mguest_snapshot(c->x, cur, &s);
        if (r < 0)
                return r;
        r = s.agent == GUEST_AGENT_OK && streq(s.verdict, "blocked");
        failing = s.failing ? strdup(s.failing) : NULL;
        msnap_done(&s);
        if (!r)
                return 0;
        free(g->reason);
        g->reason = NULL;
        r = asprintf(&g->reason, DISARMED "verdict blocked: %s", failing ? failing : "?");
        if (r < 0) {
                g->reason = NULL;
                return -ENOMEM;
        }
        g->state = MG_ACTIVE;
        g->step_done = true;
        return journal(c, g, "disarming", g->reason);
}

/* ---- waves and gates ----------------------------------------------------------- */

static int max_wave(const struct ctx *c)
{
        int w = -1;

        for (unsigned i = 0; i < c->n; i++)
                if (c->g[i].wave > w)
                        w = c->g[i].wave;
        return w;
}

static bool wave_started(const struct ctx *c, int w)
{
        for (unsigned i = 0; i < c->n; i++)
                if (c->g[i].wave == w && c->g[i].state != MG_PENDING)
                        return true;
        return false;
}

static bool wave_has_pending(const struct ctx *c, int w)
{
        for (unsigned i = 0; i < c->n; i++)
                if (c->g[i].wave == w && (c->g[i].state == MG_PENDING || c->g[i].state == MG_ACTIVE ||
                                           c->g[i].state == MG_ARMED))
                        return true;
        return false;
}

/* Why wave w may not start, or NULL. */
static char *gate(const struct ctx *c, int w)
{
        unsigned failures = 0;
        char *why = NULL;

        for (unsigned i = 0; i < c->n; i++) {
                const struct mguest *g = &c->g[i];

                if (g->state != MG_FAILED)
                        continue;
                if (g->wave == 0 && w > 0)
                        return asprintf(&why, "the canary %s failed: %s", g->name,
                                        g->reason ? g->reason : "?") < 0 ? NULL : why;
                failures++;
        }
        if (failures >= c->m->s.max_failures)
                return asprintf(&why, "%u failed, the threshold is %u", failures,
                                c->m->s.max_failures) < 0 ? NULL : why;
        return NULL;
}

/* The migration ends: guests not started are cancelled. */
static int mig_end(struct ctx *c, enum mig_state state, const char *reason)
{
        int r;

        /* Still armed, as it was: nothing to record again (serve resumes it on every change). */
        if (state == MIG_ARMED && c->m->state == MIG_ARMED)
                return 0;
        for (unsigned i = 0; i < c->n; i++) {
                struct mguest *g = &c->g[i];

                if (g->state != MG_PENDING)
                        continue;
                g->state = MG_CANCELLED;
                free(g->reason);
                g->reason = reason ? strdup(reason) : NULL;
                r = journal(c, g, "cancelled", reason);
                if (r < 0)
                        return r;
        }
        c->m->state = state;
        free(c->m->reason);
        c->m->reason = reason ? strdup(reason) : NULL;
        r = mdb_set_state(c->d, c->m);
        if (r < 0)
                return log_error_errno(r, "Failed to record the end of the migration: %m");
        emit(c, mig_state_to_string(state), -1, NULL, reason);
        return 0;
}

/* The waves ran to their end: done when every guest of theirs is, else partial or failed. */
static enum mig_state waves_outcome(const struct ctx *c)
{
        unsigned done = 0, other = 0;

        for (unsigned i = 0; i < c->n; i++)
                if (c->g[i].state == MG_ARMED)
                        return MIG_ARMED;
        for (unsigned i = 0; i < c->n; i++)
                if (c->g[i].wave >= 0) {
                        done += c->g[i].state == MG_DONE;
                        other += c->g[i].state != MG_DONE;
                }
        return !other ? MIG_DONE : done ? MIG_PARTIAL : MIG_FAILED;
}

static int exit_status(const struct ctx *c)
{
        switch (c->m->state) {
        case MIG_DONE:
        case MIG_ARMED:
                return EXIT_DONE;
        case MIG_PARTIAL:
                return EXIT_PARTIAL;
        case MIG_PLANNED:
        case MIG_RUNNING:
        case MIG_STOPPED:
        case MIG_ABORTED:
        case MIG_FAILED:
        case _MIG_STATE_MAX:
                break;
        }
        return EXIT_FAILED;
}

static void wave_banner(struct ctx *c, int w, int last)
{
        unsigned n = 0;
        char detail[96];

        for (unsigned i = 0; i < c->n; i++)
                n += c->g[i].wave == w;
        snprintf(detail, sizeof(detail), "%d of %d, %u guest%s%s", w + 1, last + 1, n,
                 n == 1 ? "" : "s", w == 0 ? ", the canary" : "");
        emit(c, "wave", w, NULL, detail);
}

/* One guest after the other; 1 when an abort ends the migration. */
static int wave_serial(struct ctx *c, int w)
{
        int r;

        for (unsigned i = 0; i < c->n; i++) {
                struct mguest *g = &c->g[i];

                if (g->wave != w || (g->state != MG_PENDING && g->state != MG_ACTIVE))
                        continue;
                if (stop_signal)
                        return -EINTR;
                r = mdb_abort_requested(c->d, c->m->id);
                if (r < 0)
                        return r;
                if (r > 0 && g->state == MG_PENDING)
                        return 1;
                r = guest_run(c, g);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- parallel guests ------------------------------------------------------------ */

enum { WORKER_OK = 0, WORKER_INTERNAL = 1, WORKER_INTERRUPTED = 2 };

/*
 * A worker: the guest's chain of steps, as a run of one guest would take it,
 * on database and xenstore connections of its own (SQLite's may not cross a
 * fork). It dies with the run: a run killed with SIGKILL takes its guests
 * where their journals are, as it does without workers.
 */
_noreturn_ static void worker(struct ctx *c, struct mguest *g, pid_t parent, const sigset_t *mask)
{
        int r;

        run_parent = parent;
        for (size_t i = 0; i < ELEMENTSOF(workers); i++)
                workers[i] = 0;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(WORKER_INTERNAL);
        /*
         * The lock (flock(2), on the descriptor the worker shares with the run)
         * stays held here too: it goes when the run and every worker have, so
         * that no resume starts while a worker of a killed run still acts.
         */
        sigprocmask(SIG_SETMASK, mask, NULL);
        r = mdb_reconnect(c->d);
        if (r >= 0) {
                /* The run's connection stays the run's: this one is the worker's. */
                c->x = NULL;
                r = xstore_open(&c->x);
                if (r < 0)
                        log_error_errno(r, "Failed to connect to xenstore for '%s': %m", g->name);
        }
        if (r >= 0)
                r = guest_run(c, g);
        fflush(stdout);
        _exit(r == -EINTR ? WORKER_INTERRUPTED : r < 0 ? WORKER_INTERNAL : WORKER_OK);
}

static int worker_start(struct ctx *c, unsigned i)
{
        pid_t parent = getpid(), pid;
        sigset_t block, mask;
        size_t slot = 0;
        int r;

        while (slot < ELEMENTSOF(workers) && workers[slot] > 0)
                slot++;
        if (slot == ELEMENTSOF(workers))
                return log_error_errno(-EBUSY, "No room for another worker.");
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        /* A signal from now on reaches the worker too: it is in workers[] before the run takes it. */
        sigprocmask(SIG_BLOCK, &block, &mask);
        if (stop_signal) {
                sigprocmask(SIG_SETMASK, &mask, NULL);
                return 0;
        }
        fflush(stdout);
        mdb_disconnect(c->d);
        pid = fork();
        if (pid == 0)
                worker(c, &c->g[i], parent, &mask);
        r = pid < 0 ? -errno : 0;
        if (pid > 0) {
                workers[slot] = pid;
                c->pid[i] = pid;
                c->started[i] = true;
                c->running++;
        }
        sigprocmask(SIG_SETMASK, &mask, NULL);
        if (r < 0)
                log_error_errno(r, "Failed to start the worker of '%s': %m", c->g[i].name);
        return mdb_reconnect(c->d) < 0 ? -EIO : r;
}

/* The guest's row as its worker left it. */
static int guest_reload(struct ctx *c, unsigned i)
{
        struct mguest *all = NULL;
        unsigned n = 0;
        int r = mdb_guests(c->d, c->m->id, &all, &n);

        if (r >= 0 && (i >= n || !streq(all[i].name, c->g[i].name)))
                r = log_error_errno(-EIO, "The journal of '%s' is not where it was.", c->g[i].name);
        if (r >= 0) {
                mguest_done(&c->g[i]);
                c->g[i] = all[i];
                all[i] = (struct mguest){};
        }
        for (unsigned j = 0; j < n; j++)
                mguest_done(&all[j]);
        free(all);
        return r;
}

/* Waits for a worker to end (or a signal); *ret_lost when it ended other than by itself. */
static int worker_reap(struct ctx *c, bool *ret_lost)
{
        int status;
        pid_t pid = waitpid(-1, &status, 0);

        if (pid < 0)
                return errno == EINTR ? 0 : -errno;
        for (size_t s = 0; s < ELEMENTSOF(workers); s++)
                if (workers[s] == pid)
                        workers[s] = 0;
        for (unsigned i = 0; i < c->n; i++) {
                if (c->pid[i] != pid)
                        continue;
                c->pid[i] = 0;
                c->running--;
                if (WIFSIGNALED(status)) {
                        log_error("The worker of '%s' was killed by signal %d: its journal stays where it was, "
                                  "resume continues it.", c->g[i].name, WTERMSIG(status));
                        *ret_lost = true;
                } else if (!WIFEXITED(status) || WEXITSTATUS(status) == WORKER_INTERNAL) {
                        log_error("The worker of '%s' failed.", c->g[i].name);
                        *ret_lost = true;
                } else if (WEXITSTATUS(status) == WORKER_INTERRUPTED && !stop_signal) {
                        /* Interrupted without the run hearing of it: the run stops too. */
                        *ret_lost = true;
                }
                return guest_reload(c, i);
        }
        return 0;
}

/*
 * Up to o->parallel guests of wave w in their chains at once, each in a
 * worker; the next one starts as one ends. 1 when an abort ends the
 * migration. Whatever stops it, it waits for the workers that run.
 */
static int wave_parallel(struct ctx *c, int w)
{
        bool aborted = false, lost = false;
        int err = 0, r;

        for (;;) {
                for (unsigned i = 0; i < c->n && c->running < c->o->parallel; i++) {
                        struct mguest *g = &c->g[i];

                        if (err || aborted || lost || stop_signal)
                                break;
                        if (g->wave != w || c->started[i] || (g->state != MG_PENDING && g->state != MG_ACTIVE))
                                continue;
                        r = mdb_abort_requested(c->d, c->m->id);
                        if (r > 0 && g->state == MG_PENDING)
                                aborted = true;
                        else if (r >= 0)
                                r = worker_start(c, i);
                        if (r < 0)
                                err = r;
                }
                if (!c->running)
                        break;
                r = worker_reap(c, &lost);
                if (r < 0 && !err)
                        err = r;
        }
        if (err)
                return err;
        if (stop_signal)
                return -EINTR;
        if (lost)
                return -EIO;
        return aborted;
}

static int run_waves(struct ctx *c)
{
        int last = max_wave(c), r;

        for (int w = 0; w <= last; w++) {
                if (!wave_has_pending(c, w))
                        continue;
                if (!wave_started(c, w)) {
                        _cleanup_free_ char *why = gate(c, w);

                        /* Guests armed already still switch at their reboots: serve goes on with them. */
                        if (why)
                                return mig_end(c, waves_outcome(c) == MIG_ARMED ? MIG_ARMED : MIG_STOPPED, why);
                }
                wave_banner(c, w, last);
                /* Armed guests first: which of them rebooted, or turned blocked. */
                for (unsigned i = 0; i < c->n; i++) {
                        struct mguest *g = &c->g[i];

                        if (g->wave == w && g->state == MG_ARMED && (r = armed_poll(c, g)) < 0)
                                return r;
                }
                r = c->o->parallel > 1 ? wave_parallel(c, w) : wave_serial(c, w);
                if (r != 0)
                        return r < 0 ? r : mig_end(c, MIG_ABORTED, "aborted");
        }
        return mig_end(c, waves_outcome(c), NULL);
}

/* abort with no run in progress: the guest in its chain is rolled back, the rest cancelled. */
static int run_abort(struct ctx *c)
{
        int r;

        for (unsigned i = 0; i < c->n; i++) {
                struct mguest *g = &c->g[i];

                if (g->state == MG_ARMED) {
                        g->state = MG_ACTIVE;
                        g->reason = strdup(DISARMED "aborted");
                        if (!g->reason)
                                return -ENOMEM;
                }
                if (g->state != MG_ACTIVE)
                        continue;
                /* A guest verified already is done, not half-done. */
                if (!g->reason && !(g->step == MS_VERIFY && g->step_done)) {
                        g->reason = strdup("aborted");
                        if (!g->reason)
                                return -ENOMEM;
                        /* A step started, not finished: it is undone by the chain back. */
                        g->step_done = true;
                }
                r = guest_run(c, g);
                if (r < 0)
                        return r;
        }
        return mig_end(c, MIG_ABORTED, "aborted");
}

/* ---- dry run --------------------------------------------------------------------- */

/* virsh -c URI VERB ARG, as the libvirt driver runs it. */
static void dry_cmd(const struct ctx *c, const char *verb, const char *arg)
{
        printf("    run: %s -c %s %s %s (timeout %u s)\n", c->m->s.xl,
               c->m->s.toolstack_uri ? c->m->s.toolstack_uri : LIBVIRT_URI_DEFAULT, verb, arg,
               c->m->s.toolstack_timeout);
}

static void dry_op(const struct ctx *c, const struct mguest *g, enum mts_op op)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *why = NULL, *text = NULL;

        if (mts_command(&c->m->s, op, g->name, g->config, true, &argv, &why) < 0 || !(text = mts_argv_text(argv))) {
                printf("    cannot: %s\n", why ? why : "out of memory");
                return;
        }
        printf("    run: %s (timeout %u s)%s\n", text, c->m->s.toolstack_timeout,
               op == MTS_STOP && c->m->s.kind == MTS_LIBVIRT ? ", then wait until the domain is gone" : "");
}

static void dry_config(const struct ctx *c, const struct mguest *g)
{
        const struct xlcfg_paths p = { c->m->s.pvgrub, c->m->s.pvhgrub };
        _cleanup_free_ char *text = NULL, *pvh = NULL;

        if (c->m->s.hook) {
                printf("    run: %s to-pvh %s %s\n", c->m->s.hook, g->name, g->config);
                return;
        }
        if (c->m->s.kind == MTS_LIBVIRT) {
                printf("    write the PVH definition to %s (the PV one, virsh dumpxml --inactive "
                       "--security-info, kept as %s" XLCFG_BACKUP_SUFFIX ")\n", g->config, g->config);
                dry_cmd(c, "define", g->config);
                return;
        }
        if (c->m->s.kind == MTS_XAPI) {
                const char *u = mts_config_uuid(g->config);

                if (u)
                        printf("    run: %s vm-param-set uuid=%s domain-type=pvh\n", c->m->s.xl, u);
                else
                        printf("    run: %s vm-param-set uuid=(the UUID of the VM named %s) domain-type=pvh\n",
                               c->m->s.xl, g->name);
                return;
        }
        if (xlcfg_load(g->config, &text, NULL) < 0 || xlcfg_to_pvh(text, &p, &pvh) < 0) {
                printf("    cannot switch %s as it is now\n", g->config);
                return;
        }
        printf("    rewrite %s (the original kept as %s" XLCFG_BACKUP_SUFFIX "):\n", g->config,
               g->config);
        for (char *a = text, *b = pvh; *a || *b;) {
                size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

                if (la != lb || memcmp(a, b, la) != 0) {
                        if (la)
                                printf("    -%.*s\n", (int)la, a);
                        printf("    +%.*s\n", (int)lb, b);
                }
                a += la + (a[la] == '\n');
                b += lb + (b[lb] == '\n');
        }
}

static int dry_run(struct ctx *c)
{
        const struct mig_settings *s = &c->m->s;

        printf("migration %" PRId64 " (%s), dry run: nothing is changed\n", c->m->id,
               mig_state_to_string(c->m->state));
        if (c->o->parallel > 1)
                printf("up to %u guests of a wave at once, each in a process of its own\n", c->o->parallel);
        for (int w = 0; w <= max_wave(c); w++) {
                printf("wave %d%s: starts only while fewer than %u guests failed%s\n", w + 1,
                       w == 0 ? " (canary)" : "", s->max_failures,
                       w > 0 ? " and the canary did not fail" : "");
                for (unsigned i = 0; i < c->n; i++) {
                        const struct mguest *g = &c->g[i];

                        if (g->wave != w || g->state != MG_PENDING)
                                continue;
                        printf("  %s (verdict %s%s)\n", g->name, g->verdict ? g->verdict : "?",
                               g->agentless ? ", by its disks: no agent" : "");
                        if (s->before_guest)
                                printf("    run: %s (before-guest hook: a non-zero exit "
                                       "skips the guest)\n", s->before_guest);
                        if (s->require_trial)
                                printf("    require its newest trial boot since its last kernel change\n");
                        if (g->verdict && streq(g->verdict, "fixable"))
                                printf("    request prepare, wait %u s for its answer\n",
                                       s->request_timeout);
                        printf(g->agentless ? "    inspect its disks again, require verdict ready\n"
                                            : "    require verdict ready\n");
                        dry_config(c, g);
                        if (s->at_next_reboot && s->kind == MTS_LIBVIRT) {
                                printf("    armed: libvirt boots the new definition at the guest's next "
                                       "reboot, verified then by serve\n");
                                continue;
                        }
                        if (s->at_next_reboot) {
                                printf("    run: %s config-update %s %s (timeout %u s): armed, "
                                       "PVH at its next reboot, verified then by serve\n",
                                       s->xl, g->name, g->config, s->toolstack_timeout);
                                continue;
                        }
                        dry_op(c, g, MTS_STOP);
                        dry_op(c, g, MTS_START);
                        if (g->agentless)
                                printf("    wait %u s for the toolstack to run it as PVH with its frontends "
                                       "connected, then %u s more without a crash or restart%s%s\n",
                                       s->boot_timeout, s->settle,
                                       s->console_log ? ", nor a kernel panic in " : "",
                                       s->console_log ? s->console_log : "");
                        else if (s->agent_settle)
                                printf("    wait %u s for guest_type PVH, a new boot id, the addresses back, "
                                       "then %u s more without a crash, shutdown or restart%s%s\n",
                                       s->boot_timeout, s->agent_settle,
                                       s->console_log ? ", nor a kernel panic in " : "",
                                       s->console_log ? s->console_log : "");
                        else
                                printf("    wait %u s for guest_type PVH, a new boot id, the addresses back\n",
                                       s->boot_timeout);
                        printf("    on failure: restore the PV configuration, restart, "
                               "wait for PV%s\n", g->verdict && streq(g->verdict, "fixable")
                                                          ? ", request rollback" : "");
                        if (s->after_guest)
                                printf("    run: %s (after-guest hook)\n", s->after_guest);
                }
        }
        for (unsigned i = 0; i < c->n; i++)
                if (c->g[i].state == MG_SKIPPED)
                        printf("skip %s: %s\n", c->g[i].name, c->g[i].reason ? c->g[i].reason : "");
        return EXIT_DONE;
}

/* ---- entry ------------------------------------------------------------------------ */

static unsigned note_every_env(void)
{
        unsigned n = NOTE_EVERY_S;
#ifdef ENABLE_FAULT_INJECTION
        const char *s = getenv(NOTE_ENV);

        if (s && (safe_atou(s, &n) < 0 || n == 0))
                n = NOTE_EVERY_S;
#endif
        return n;
}

#ifdef ENABLE_FAULT_INJECTION
/* The journal write to crash after (crash_maybe()), or the signal to send; 0 for none. */
static unsigned crash_env(const char *name)
{
        const char *s = getenv(name);
        unsigned n = 0;

        if (s && safe_atou(s, &n) < 0)
                n = 0;
        return n;
}

static enum crash_target crash_target_env(void)
{
        const char *s = getenv(CRASH_TARGET_ENV);

        if (s && streq(s, "run"))
                return CRASH_RUN;
        if (s && streq(s, "group"))
                return CRASH_GROUP;
        return CRASH_WRITER;
}
#endif

/*
 * A run killed while a toolstack command ran left that command running, in
 * its own process group: it is ended (and waited for) before any step, so
 * that nothing acts on the guest beside this run.
 */
static int end_leftover(struct ctx *c, struct mguest *g)
{
        struct spawn_group grp;
        char detail[160];
        int r = mdb_child_get(c->d, g, &grp);

        if (r <= 0)
                return r;
        r = spawn_group_kill(&grp, LEFTOVER_KILL_USEC);
        if (r == -ETIME)
                return log_error_errno(r, "The command the interrupted run started for '%s' (process group "
                                       "%d) still runs after SIGKILL: not resuming.", g->name, (int)grp.pgid);
        if (r < 0)
                return log_error_errno(r, "Failed to end the command the interrupted run started for '%s': %m",
                                       g->name);
        snprintf(detail, sizeof(detail), "the interrupted run's command, process group %d: %s", (int)grp.pgid,
                 r > 0 ? "killed" : "ended already");
        r = mdb_child_set(c->d, g, NULL);
        if (r >= 0)
                r = mdb_event(c->d, c->m->id, g->name, "leftover", detail);
        if (r >= 0)
                emit(c, "leftover", g->wave, g, detail);
        return r;
}

/* Before a guest in its chain is resumed: what runs under its name now, in the journal. */
static int resume_state(struct ctx *c, struct mguest *g)
{
        char detail[128];
        const char *type;
        unsigned cur;
        int r = end_leftover(c, g);

        if (r >= 0)
                r = find_or_zero(c, g->name, &cur);
        if (r < 0)
                return r;
        type = cur ? inspect_domain_type(c->x, cur) : NULL;
        if (cur)
                snprintf(detail, sizeof(detail), "domain %u runs as %s", cur, type ? type : "an unknown type");
        else
                snprintf(detail, sizeof(detail), "no domain named %s runs", g->name);
        r = mdb_event(c->d, c->m->id, g->name, "resumed", detail);
        if (r >= 0)
                emit(c, "resumed", g->wave, g, detail);
        return r;
}

static int resume_all(struct ctx *c)
{
        for (unsigned i = 0; i < c->n; i++) {
                int r = c->g[i].state == MG_ACTIVE ? resume_state(c, &c->g[i]) : 0;

                if (r < 0)
                        return r;
        }
        return 0;
}

/* The run stops, and its journal says why and where: resume continues from there. */
static int interrupted(struct ctx *c)
{
        const char *sig = stop_signal == SIGINT ? "INT" : stop_signal == SIGTERM ? "TERM" : NULL;
        char detail[128];
        bool any = false;
        int r;

        for (unsigned i = 0; i < c->n; i++) {
                struct mguest *g = &c->g[i];

                if (g->state != MG_ACTIVE)
                        continue;
                snprintf(detail, sizeof(detail), "by SIG%s during step %s: resume continues it", sig ? sig : "?",
                         mg_step_to_string(g->step));
                r = mdb_event(c->d, c->m->id, g->name, "interrupted", detail);
                if (r < 0)
                        return r;
                emit(c, "interrupted", g->wave, g, detail);
                any = true;
        }
        if (!any) {
                snprintf(detail, sizeof(detail), "by SIG%s between guests: resume continues", sig ? sig : "?");
                r = mdb_event(c->d, c->m->id, NULL, "interrupted", detail);
                if (r < 0)
                        return r;
                emit(c, "interrupted", -1, NULL, detail);
        }
        log_error("Interrupted by SIG%s: migration %" PRId64 " stays running; continue it with "
                  "'pvh-monitor migrate resume'.", sig ? sig : "?", c->m->id);
        return 0;
}

static int run(struct ctx *c)
{
        struct mig *m = c->m;
        int r = 0;

        signals_catch(true);
        if (m->state == MIG_PLANNED) {
                m->state = MIG_RUNNING;
                r = mdb_set_state(c->d, m);
                if (r >= 0)
                        emit(c, "running", -1, NULL, NULL);
        } else
                r = resume_all(c);
        if (r >= 0)
                r = c->o->abort ? run_abort(c) : run_waves(c);
        if (r >= 0 && !c->o->json)
                mview_summary(stdout, c->d, c->x, m, c->g, c->n);
        if (r == -EINTR)
                r = interrupted(c) < 0 ? EXIT_INTERNAL : EXIT_FAILED;
        else
                r = r < 0 ? EXIT_INTERNAL : c->o->abort ? EXIT_DONE : exit_status(c);
        signals_catch(false);
        return r;
}

static int parallel_setup(struct ctx *c)
{
        c->pid = calloc(c->n, sizeof(*c->pid));
        c->started = calloc(c->n, sizeof(*c->started));
        if (!c->pid || !c->started)
                return log_error_errno(-ENOMEM, "Out of memory.");
#ifdef ENABLE_FAULT_INJECTION
        if (c->crash_after) {
                void *p = mmap(NULL, sizeof(*c->shared_writes), PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

                if (p == MAP_FAILED)
                        return log_error_errno(-errno, "Failed to share the count of journal writes: %m");
                c->shared_writes = p;
        }
#endif
        return 0;
}

int mrun(struct mdb *d, struct xstore *x, struct mig *m, const struct mrun_opts *o)
{
        struct ctx c = { .d = d, .x = x, .m = m, .o = o,
                         .began = now_usec(CLOCK_MONOTONIC), .note_every = note_every_env() };
        int r;

#ifdef ENABLE_FAULT_INJECTION
        /* Test hooks: the names are not in a build without them. */
        c.crash_after = crash_env(CRASH_ENV);
        c.crash_signal = (int)crash_env(CRASH_SIGNAL_ENV);
        c.crash_target = crash_target_env();
#endif

        r = mdb_guests(d, m->id, &c.g, &c.n);
        if (r < 0)
                return EXIT_INTERNAL;
        if (o->parallel > 1 && !o->dry_run && !o->abort)
                r = parallel_setup(&c);
        if (r >= 0)
                r = o->dry_run ? dry_run(&c) : run(&c);
        else
                r = EXIT_INTERNAL;
        for (unsigned i = 0; i < c.n; i++)
                mguest_done(&c.g[i]);
        free(c.g);
        free(c.pid);
        free(c.started);
        if (c.shared_writes)
                munmap(c.shared_writes, sizeof(*c.shared_writes));
        return r;
}
