/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pvh-agent as a daemon: publish the guest state to xenstore once, then keep
 * it true. One epoll loop over xenstore, netlink, inotify, signals and a few
 * timers; nothing runs while nothing changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "crashpoint.h"
#include "daemon.h"
#include "exitcode.h"
#include "fileedit.h"
#include "fswatch.h"
#include "changelog.h"
#include "compat.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "macro.h"
#include "netwatch.h"
#include "notify.h"
#include "policy.h"
#include "prepare.h"
#include "probe-job.h"
#include "protocol.h"
#include "requests.h"
#include "residency.h"
#include "rootfs.h"
#include "state.h"
#include "store.h"
#include "strv.h"
#include "util.h"

#define STORE_BASE "data/pvh"
#define PROBE_DEBOUNCE_USEC (250 * 1000ULL)
#define NET_DEBOUNCE_USEC (100 * 1000ULL)
#define CONFIG_DEBOUNCE_USEC (100 * 1000ULL)
/* After the last publication of a burst, before its program pages are given back. */
#define TRIM_DELAY_USEC (2 * 1000000ULL)
/* Without inotify, how often the watched files are read again. */
#define FS_POLL_USEC (10 * 60 * 1000000ULL)
#define BACKOFF_MIN_USEC (100 * 1000ULL)
#define BACKOFF_MAX_USEC (30 * 1000 * 1000ULL)
#define JOB_RESULT_MAX (PREPARE_OUTPUT_MAX + 2048)
#define INTERRUPTED "the agent stopped while the request ran"

struct daemon {
        const struct daemon_options *opt;
        struct loop *loop;
        int root_fd;
        bool host_root;
        int state_fd;                /* the state directory: request ids, the kernel cache the
                                        probes read and write; -1 when not usable */
        struct agent_ident ident;
        struct requests *rq;
        struct job *job;             /* prepare, rollback or start-up recovery, in a child */
        struct proto_request job_req;
        bool recovering;             /* the job is start-up recovery */
        char *recovered;             /* what start-up recovery did, for an interrupted request */
        bool checked_interrupted;
        bool interrupted_pending;    /* interrupted_id ran when the agent stopped */
        struct proto_uuid interrupted_id;

        struct store *store;
        struct loop_source *store_src, *conn_src, *reconnect_timer;
        uint64_t backoff_usec;
        int refused; /* the last refusal logged, so each is logged once */

        struct netwatch *net;
        struct loop_source *net_src, *net_timer;
        struct fswatch *fs;
        struct loop_source *fs_src, *fs_poll_timer, *probe_timer;

        struct policy policy;        /* the owner's choice, as last read */
        bool policy_read;
        char *config_path;           /* the configuration file on this host, for inotify */
        const char *config_name;     /* the same, as the guest names it, for messages */
        struct loop_source *config_timer;
        struct loop_source *sig_src, *watchdog_timer;

        struct probe_job *probing;   /* a probe running in a child */
        bool probe_again;            /* something changed while it ran: probe again after it */
        bool probed;                 /* a first probe has ended: the state can be published */
        bool probe_req_pending;      /* probe_req is answered after the next probe ends */
        struct proto_request probe_req;

        struct kvset probe_kv, net_kv;
        char verdict[16];
        bool ready;

        /* The keys XAPI reads (compat.h), when the owner asks for them. */
        bool compat;                 /* asked for now */
        bool compat_published;       /* the roots hold what this process wrote */
        struct kvset compat_net_kv;  /* attr/vif/..., from the last netlink snapshot */
        struct kvset compat_last;    /* the last keys published, but data/updated */
        struct compat_meminfo mem;
        bool mem_valid;
        struct loop_source *mem_timer;
        struct loop_source *trim_timer; /* gives back the pages a burst of work ran (residency.h) */
        long long updated_sec;       /* data/updated: when compat_last last changed */
        int balloon;                 /* control/feature-balloon: 1 written, -1 refused, 0 neither */
        int compat_refused;          /* the last refusal logged, so each is logged once */
};

/* The answers, and the owner's switch request: pvh-agent switch writes it, not the daemon. */
static const char *const keep_subtrees[] = { "answer", "last_request", "switch", NULL };

static void daemon_status(struct daemon *d)
{
        notify_sendf("STATUS=verdict %s; xenstore %s", d->verdict[0] ? d->verdict : "unknown",
                     d->store ? "connected" : "reconnecting");
}

/* Errors that mean xenstored refused this write; the connection is fine. */
static bool is_refusal(int r)
{
        return r == -EACCES || r == -EPERM || r == -ENOSPC || r == -E2BIG || r == -EDQUOT ||
               r == -EINVAL || r == -EROFS || r == -ENOENT;
}

static void store_lost(struct daemon *d, int r);

/* ---- the keys XAPI reads --------------------------------------------------- */

static int compat_want(struct daemon *d, struct kvset *want)
{
        int r = compat_add_os(want, &d->probe_kv);

        if (r >= 0)
                r = compat_add_version(want, PACKAGE_VERSION);
        for (size_t i = 0; r >= 0 && i < d->compat_net_kv.n; i++)
                r = kvset_set(want, d->compat_net_kv.items[i].key, d->compat_net_kv.items[i].value);
        if (r >= 0 && d->mem_valid)
                r = compat_add_meminfo(want, &d->mem);
        if (r < 0)
                return r;
        /*
         * data/updated tells readers that something else changed: only then
         * is it new. Seconds since the epoch, or one more than last time,
         * so that two changes in one second are two values.
         */
        if (!d->updated_sec || !kvset_equal(want, &d->compat_last)) {
                long long now = (long long)time(NULL);

                d->updated_sec = now > d->updated_sec ? now : d->updated_sec + 1;
                r = kvset_copy(&d->compat_last, want);
        }
        if (r >= 0)
                r = kvset_setf(want, "data/updated", "%lld", d->updated_sec);
        return r;
}

/*
 * control/feature-balloon says the guest's balloon driver takes memory
 * targets; the kernel's driver does not say so itself. Under xl the guest
 * may not write in control/: one refusal, said once in the debug log, and
 * the agent does not ask again.
 */
static void compat_balloon(struct daemon *d)
{
        int r;

        if (d->compat && d->balloon == 0 && root_is_dir(d->root_fd, "/sys/devices/system/xen_memory")) {
                r = store_write(d->store, "control/feature-balloon", "1");
                d->balloon = r >= 0 ? 1 : is_refusal(r) ? -1 : 0;
                if (d->balloon < 0)
                        log_debug_errno(r, "control/feature-balloon is not writable here (%m); not tried again.");
        } else if (!d->compat && d->balloon > 0) {
                r = store_remove(d->store, "control/feature-balloon");
                if (r >= 0 || is_refusal(r))
                        d->balloon = 0;
        }
}

/*
 * Publishes the keys, or, when the owner turned them off, removes the ones
 * this process wrote; with them off from the start it touches nothing, as
 * another agent may own them.
 */
static int compat_publish(struct daemon *d)
{
        struct kvset want = { 0 };
        int r = 0;

        if (!d->store || !d->probed || (!d->compat && !d->compat_published))
                return 0;
        if (d->compat)
                r = compat_want(d, &want);
        if (r >= 0)
                r = store_publish_owned(d->store, compat_roots, &want);
        kvset_clear(&want);
        if (r < 0 && !is_refusal(r))
                return r;
        /* Each refusal said once, as for the guest state. */
        if (r < 0 && d->compat_refused != r)
                log_warning_errno(r, "xenstore refused the XAPI-compatible keys: %m");
        d->compat_refused = r < 0 ? r : 0;
        if (r >= 0)
                d->compat_published = d->compat;
        if (r > 0)
                log_debug("Published %d change(s) to the XAPI-compatible keys.", r);
        compat_balloon(d);
        return 0;
}

static void trim_soon(struct daemon *d);

static int publish(struct daemon *d)
{
        struct kvset want = { 0 }, answer = { 0 };
        int r;

        if (!d->store || !d->probed)
                return 0;
        r = state_add_ident(&want, &d->ident);
        for (size_t i = 0; r >= 0 && i < d->probe_kv.n; i++)
                r = kvset_set(&want, d->probe_kv.items[i].key, d->probe_kv.items[i].value);
        for (size_t i = 0; r >= 0 && i < d->net_kv.n; i++)
                r = kvset_set(&want, d->net_kv.items[i].key, d->net_kv.items[i].value);
        if (r >= 0)
                r = requests_last_answer(d->store, &answer);
        if (r >= 0)
                r = state_add_summary(&want, &answer);
        if (r >= 0)
                r = store_publish(d->store, &want, keep_subtrees);
        kvset_clear(&want);
        kvset_clear(&answer);
        if (r >= 0)
                r = compat_publish(d);
        if (r >= 0) {
                if (r > 0)
                        log_debug("Published %d change(s).", r);
                d->refused = 0;
                if (!d->ready) {
                        d->ready = true;
                        notify_send("READY=1");
                        log_info("Published the guest state; verdict %s.", d->verdict);
                        trim_soon(d);
                } else if (r > 0)
                        trim_soon(d);
                daemon_status(d);
                return 0;
        }
        if (is_refusal(r)) {
                if (d->refused != r)
                        log_warning_errno(r, "xenstore refused the guest state: %m");
                else
                        log_debug("xenstore still refuses the guest state.");
                d->refused = r;
                return r;
        }
        store_lost(d, r);
        return r;
}

static void probe_start(struct daemon *d);
static void finish(struct daemon *d, const struct proto_request *req, enum proto_state st,
                   enum proto_reason reason, const char *message);

/* A probe request is answered with the result of a probe that started after it. */
static void answer_probe(struct daemon *d, const char *failure)
{
        char msg[64];

        if (!d->probe_req_pending || d->probe_again)
                return;
        d->probe_req_pending = false;
        if (!d->store)
                return;
        if (failure) {
                finish(d, &d->probe_req, PROTO_STATE_FAILED, PROTO_REASON_ERROR, failure);
                return;
        }
        snprintf(msg, sizeof(msg), "verdict %s", d->verdict);
        finish(d, &d->probe_req, PROTO_STATE_DONE, 0, msg);
}

static void on_probed(void *userdata, struct kvset *kv, const char *failure)
{
        struct daemon *d = userdata;
        const char *v = kvset_get(kv, "verdict");

        d->probing = probe_job_free(d->probing);
        if (failure)
                log_error("Could not judge the system: %s.", failure);
        if (v && d->verdict[0] && !streq(d->verdict, v))
                log_info("Verdict changed: %s -> %s.", d->verdict, v);
        snprintf(d->verdict, sizeof(d->verdict), "%s", v ? v : "unknown");
        kvset_clear(&d->probe_kv);
        d->probe_kv = *kv;
        *kv = (struct kvset){ 0 };
        d->probed = true;
        publish(d);
        answer_probe(d, failure);
        if (d->probe_again) {
                d->probe_again = false;
                probe_start(d);
        }
        trim_soon(d);
}

static void probe_start(struct daemon *d)
{
        struct probe_job_args a = { .root_fd = d->root_fd, .host_root = d->host_root,
                                    .state_fd = d->state_fd };
        int r;

        if (d->probing) {
                d->probe_again = true;
                return;
        }
        r = probe_job_start(d->loop, &a, on_probed, d, &d->probing);
        if (r < 0) {
                log_error_errno(r, "Failed to start a probe: %m; trying again.");
                answer_probe(d, "the agent could not start a probe; see its log");
                loop_timer_set(d->probe_timer, BACKOFF_MAX_USEC / 10, 0);
        }
}

/*
 * Without netlink (a kernel or a sandbox that refuses it) the guest state is
 * published without addresses; said once, since netlink is not tried again.
 */
static void net_unavailable(struct daemon *d, int r)
{
        log_warning_errno(r, "Netlink is not usable: %m; interface addresses are not published.");
        loop_source_remove(d->net_src);
        d->net_src = NULL;
        d->net = netwatch_free(d->net);
        kvset_clear(&d->net_kv);
        kvset_clear(&d->compat_net_kv);
}

static int net_refresh(struct daemon *d)
{
        struct net_iface *ifs;
        struct kvset kv = { 0 }, vifs = { 0 };
        size_t n;
        int r;

        if (!d->net)
                return 0;
        r = netwatch_snapshot(d->net, &ifs, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                net_unavailable(d, r);
                return 0;
        }
        r = state_add_net(&kv, ifs, n);
        if (r >= 0)
                r = compat_add_vifs(&vifs, ifs, n);
        net_ifaces_free(ifs, n);
        if (r < 0) {
                kvset_clear(&kv);
                kvset_clear(&vifs);
                return r;
        }
        kvset_clear(&d->net_kv);
        d->net_kv = kv;
        kvset_clear(&d->compat_net_kv);
        d->compat_net_kv = vifs;
        return 0;
}

/* ---- the owner's choice ------------------------------------------------------ */

static void policy_log(struct daemon *d, const struct policy *p)
{
        char desc[128];

        policy_describe(p, desc, sizeof(desc));
        if (p->origin == POLICY_INVALID)
                log_error("%s: %s; until it is fixed, the agent takes no request that changes the guest "
                          "(report-only).",
                          d->config_name, p->error);
        else if (p->origin == POLICY_DEFAULT)
                log_info("The host may request: %s (no %s: the defaults).", desc, d->config_name);
        else
                log_info("The host may request: %s (%s).", desc, d->config_name);
}

/* The memory figures, read now; false when they are what was published. */
static bool meminfo_refresh(struct daemon *d)
{
        struct compat_meminfo m;
        int r = compat_read_meminfo(d->root_fd, &m);

        if (r < 0) {
                if (d->mem_valid)
                        log_warning_errno(r, "Failed to read /proc/meminfo: %m; memory is not published.");
                d->mem_valid = false;
                return false;
        }
        if (d->mem_valid && m.total_kb == d->mem.total_kb && m.avail_kb == d->mem.avail_kb)
                return false;
        d->mem = m;
        d->mem_valid = true;
        return true;
}

/* A burst of work is over: the program pages it ran go back to the page cache. */
static int on_trim_timer(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        size_t n = residency_trim();

        log_debug("Gave back the pages of %zu KiB of code and constants.", n / 1024);
        return 0;
}

/*
 * 2 s after the last event of a burst (a publication, a request, a probe,
 * a change of the network or of the configuration), once: a one-shot timer
 * re-armed by each. The watchdog's pings do not arm it (a wake-up each).
 */
static void trim_soon(struct daemon *d)
{
        if (d->trim_timer)
                loop_timer_set(d->trim_timer, TRIM_DELAY_USEC, 0);
}

/* The one periodic work, with the keys on only: a reading, and a write when it changed. */
static int on_mem_timer(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;
        int r;

        if (!meminfo_refresh(d))
                return 0;
        r = compat_publish(d);
        if (r < 0)
                store_lost(d, r);
        return 0;
}

static void compat_timer_arm(struct daemon *d)
{
        uint64_t period = compat_meminfo_period_usec();

        if (!d->mem_timer)
                return;
        if (d->compat)
                loop_timer_set(d->mem_timer, period, period);
        else
                loop_timer_disarm(d->mem_timer);
}

/* Turns the keys on or off; the caller publishes. */
static void compat_set(struct daemon *d, bool on)
{
        if (on == d->compat)
                return;
        d->compat = on;
        log_info("XAPI-compatible keys: %s.", on ? "published" : "not published");
        if (on)
                meminfo_refresh(d);
        compat_timer_arm(d);
}

/*
 * Reads the owner's file again. A change is logged once: a file that stays
 * as bad as it was is not reported again at each reading, and the actions
 * the agent publishes follow the choice at once.
 */
static void policy_reload(struct daemon *d)
{
        struct policy p;

        policy_load(d->root_fd, d->opt->config, &p);
        if (!d->policy_read || !policy_same(&d->policy, &p) ||
            (p.origin == POLICY_INVALID && p.hash != d->policy.hash))
                policy_log(d, &p);
        d->policy = p;
        d->policy_read = true;
        policy_actions(&p, &d->ident.actions);
        compat_set(d, d->opt->compat == DAEMON_COMPAT_CONFIG ? p.compat_xapi
                                                             : d->opt->compat == DAEMON_COMPAT_XAPI);
        publish(d);
}

/* ---- requests ---------------------------------------------------------------- */

/*
 * The request that ran when the agent stopped is answered once start-up
 * recovery has finished or undone its work, and says which: never while the
 * work may still be going on.
 */
static void answer_interrupted(struct daemon *d)
{
        int r;

        if (!d->interrupted_pending || d->recovering || !d->store)
                return;
        r = requests_finish(d->rq, d->store, &d->interrupted_id, PROTO_STATE_FAILED,
                            PROTO_REASON_INTERRUPTED, d->recovered ? d->recovered : INTERRUPTED,
                            NULL, 0, 0);
        if (r < 0 && !is_refusal(r))
                return;
        if (r < 0)
                log_warning_errno(r, "Failed to answer request %s: %m", d->interrupted_id.s);
        d->interrupted_pending = false;
}

static void finish(struct daemon *d, const struct proto_request *req, enum proto_state st,
                   enum proto_reason reason, const char *message)
{
        int r = requests_finish(d->rq, d->store, &req->id, st, reason, message, NULL, 0, 0);

        if (r < 0)
                log_warning_errno(r, "Failed to answer request %s: %m", req->id.s);
}

/*
 * The owner's record of a host request that changes the guest, or that
 * their choice refused: a line in the log and an entry in the state
 * directory's history, with the answer's diffs and commands.
 */
static void record(struct daemon *d, const struct proto_request *req, bool done, const char *reason,
                   const char *message, const char *output, size_t len)
{
        char action[64], result[64], summary[1024] = "not kept: no state directory";
        int r = 0;

        snprintf(action, sizeof(action), "%s%s", proto_action_to_string(req->action),
                 req->args & (1u << PROTO_ARG_DRY_RUN) ? " dry-run" : "");
        snprintf(result, sizeof(result), done ? "done" : "failed %s", reason);
        if (d->state_fd >= 0)
                r = history_record(d->state_fd,
                                   &(struct history_entry){ .request = req->id.s, .action = action,
                                                            .result = result, .message = message,
                                                            .output = output, .output_len = len },
                                   summary, sizeof(summary));
        if (r < 0)
                log_warning_errno(r, "Failed to keep request %s in the history: %m", req->id.s);
        log_info("Host request %s (%s): %s: %s; %s", req->id.s, action, result, message ?: "", summary);
}

static void prepare_ctx_init(const struct daemon *d, int state_fd, struct prepare_ctx *ret)
{
        *ret = (struct prepare_ctx){ .root_fd = d->root_fd, .host_root = d->host_root,
                                     .state_fd = state_fd,
                                     .command_dir = prepare_test_command_dir() };
}

/*
 * In the child: the result as "OK\nREASON\nMESSAGE\nOMITTED\n" then the
 * output bytes. The child never touches the xenstore connection it inherited.
 */
static int prepare_child(void *arg, int out_fd)
{
        struct daemon *d = arg;
        struct prepare_answer a = { 0 };
        struct prepare_ctx ctx;
        int state_fd = prepare_state_open_wait(d->root_fd, d->opt->state_dir,
                                               d->recovering ? PREPARE_RECOVER_WAIT_USEC : 0);
        int r;

        if (state_fd < 0 && d->recovering) {
                dprintf(out_fd, "0\n%s\n%s%s\n0\n", state_fd == -EBUSY ? "busy" : "error",
                        INTERRUPTED,
                        state_fd == -EBUSY ? "; another process still holds the state directory: "
                                             "what the request left is undone by the next prepare "
                                             "or rollback"
                                           : "; the state directory is not usable");
                return 0;
        }
        if (state_fd < 0) {
                dprintf(out_fd, "0\n%s\n%s\n0\n", state_fd == -EBUSY ? "busy" : "error",
                        state_fd == -EBUSY ? "another prepare or rollback holds the state directory"
                                           : "the state directory is not usable");
                return 0;
        }
        prepare_ctx_init(d, state_fd, &ctx);
        if (d->recovering)
                r = prepare_recover(&ctx, &a);
        else if (d->job_req.action == PROTO_ACTION_PREPARE)
                r = prepare_run(&ctx, d->job_req.args & (1u << PROTO_ARG_DRY_RUN), &a);
        else
                r = prepare_rollback(&ctx, &a);
        if (r < 0) {
                dprintf(out_fd, "0\nerror\nout of memory\n0\n");
                return 0;
        }
        for (char *p = a.message; p && *p; p++)
                if (*p == '\n')
                        *p = ' ';
        dprintf(out_fd, "%d\n%s\n%s\n%zu\n", a.ok, a.ok ? "-" : a.reason ? a.reason : "error",
                a.message ? a.message : "", a.output.omitted);
        if (a.output.len)
                write_all(out_fd, a.output.data, a.output.len);
        prepare_answer_done(&a);
        return 0;
}

/* Splits the next line off *p (within end); NULL when there is none. */
static char *next_line(char **p, const char *end)
{
        char *line = *p, *nl;

        if (line >= end)
                return NULL;
        nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
                return NULL;
        *nl = '\0';
        *p = nl + 1;
        return line;
}

/* Start-up recovery ended: what it did is the answer of the request it interrupted. */
static void recovered(struct daemon *d, int status, const char *message)
{
        d->recovering = false;
        if (status != 0 || !message) {
                log_error("Start-up recovery ended without a result (status %d).", status);
                message = INTERRUPTED "; undoing it failed, see the agent's log";
        } else if (*message)
                log_warning("Recovered from an interrupted change: %s", message);
        if (*message) {
                free(d->recovered);
                d->recovered = strdup(message);
        }
        answer_interrupted(d);
}

static void on_job_done(void *userdata, int status, const char *data, size_t len)
{
        struct daemon *d = userdata;
        _cleanup_free_ char *buf = strndup(data, len);
        char *p = buf, *end = buf ? buf + len : NULL;
        char *ok = buf ? next_line(&p, end) : NULL, *reason = next_line(&p, end);
        char *message = next_line(&p, end), *omitted = next_line(&p, end);
        struct proto_request req = d->job_req;
        uint64_t lost = 0;
        int rs;

        d->job = job_free(d->job);
        if (d->recovering)
                recovered(d, status, omitted ? message : NULL);
        else if (!omitted || status != 0) {
                log_error("The %s job ended without a result (status %d).",
                          proto_action_to_string(req.action), status);
                if (d->store)
                        finish(d, &req, PROTO_STATE_FAILED, PROTO_REASON_ERROR,
                               "the agent's worker process failed; see the agent's log");
                record(d, &req, false, "error", "the agent's worker process failed", NULL, 0);
        } else if (d->store) {
                safe_atou64(omitted, &lost);
                rs = proto_reason_from_string(reason, strlen(reason));
                rs = requests_finish(d->rq, d->store, &req.id,
                                     streq(ok, "1") ? PROTO_STATE_DONE : PROTO_STATE_FAILED,
                                     rs >= 0 ? (enum proto_reason)rs : PROTO_REASON_ERROR, message, p,
                                     (size_t)(end - p), lost);
                if (rs < 0)
                        log_warning_errno(rs, "Failed to answer request %s: %m", req.id.s);
                record(d, &req, streq(ok, "1"), reason, message, p, (size_t)(end - p));
        }
        /* What prepare changed is judged at once, without waiting for inotify. */
        loop_timer_set(d->probe_timer, 0, 0);
        trim_soon(d);
}

static void start_job(struct daemon *d, const struct proto_request *req)
{
        int r;

        d->job_req = *req;
        r = job_start(d->loop, prepare_child, d, JOB_RESULT_MAX, on_job_done, d, &d->job);
        if (r < 0) {
                log_error_errno(r, "Failed to start the %s job: %m", proto_action_to_string(req->action));
                finish(d, req, PROTO_STATE_FAILED, PROTO_REASON_ERROR, "the agent could not start the work");
                return;
        }
        r = requests_running(d->rq, d->store, &req->id);
        if (r < 0)
                log_warning_errno(r, "Failed to mark request %s running: %m", req->id.s);
}

/* A request the owner does not allow is answered at once, and nothing runs. */
static bool refused(struct daemon *d, const struct proto_request *req)
{
        char why[512];

        /* The choice that holds when the request is taken, even before inotify told of a change. */
        policy_reload(d);
        if (policy_allows(&d->policy, req, d->config_name, why, sizeof(why)))
                return false;
        log_warning("Refused request %s (%s%s): %s", req->id.s, proto_action_to_string(req->action),
                    req->args & (1u << PROTO_ARG_DRY_RUN) ? " dry-run" : "", why);
        finish(d, req, PROTO_STATE_FAILED, PROTO_REASON_REFUSED_BY_OWNER, why);
        record(d, req, false, proto_reason_to_string(PROTO_REASON_REFUSED_BY_OWNER), why, NULL, 0);
        return true;
}

static void run_request(struct daemon *d, const struct proto_request *req)
{
        char msg[64];

        if (refused(d, req))
                return;
        switch (req->action) {
        case PROTO_ACTION_PING:
                finish(d, req, PROTO_STATE_DONE, 0, "pong");
                return;
        case PROTO_ACTION_PROBE:
                d->probe_req = *req;
                d->probe_req_pending = true;
                if (requests_running(d->rq, d->store, &req->id) < 0)
                        log_warning("Failed to mark request %s running.", req->id.s);
                probe_start(d);
                return;
        case PROTO_ACTION_PREPARE:
        case PROTO_ACTION_ROLLBACK:
                start_job(d, req);
                return;
        case _PROTO_ACTION_MAX:
                break;
        }
        snprintf(msg, sizeof(msg), "this agent does not take '%s' requests",
                 proto_action_to_string(req->action));
        finish(d, req, PROTO_STATE_FAILED, PROTO_REASON_UNKNOWN_ACTION, msg);
}

static void handle_request(struct daemon *d)
{
        struct proto_request req;
        int r = requests_take(d->rq, d->store, d->job || d->probe_req_pending, &req);

        if (r < 0 && !is_refusal(r)) {
                store_lost(d, r);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Could not take the waiting request: %m");
                return;
        }
        if (r > 0)
                run_request(d, &req);
}

/* ---- xenstore connection ---------------------------------------------------- */

static int on_store_event(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;
        char **ev;
        int r = 0;

        while (d->store && (r = store_next_event(d->store, &ev)) > 0) {
                bool request = streq(ev[1], "request");

                log_debug("Watch event on '%s'.", ev[0]);
                free(ev);
                if (request)
                        handle_request(d);
        }
        if (r < 0)
                store_lost(d, r);
        trim_soon(d);
        return 0;
}

static void store_disconnect(struct daemon *d)
{
        loop_source_remove(d->store_src);
        loop_source_remove(d->conn_src);
        d->store_src = d->conn_src = NULL;
        d->store = store_close(d->store);
}

static int store_connect(struct daemon *d)
{
        int r = store_open(STORE_BASE, &d->store);

        if (r < 0)
                return r;
        r = loop_add_io(d->loop, store_fd(d->store), EPOLLIN, on_store_event, d, &d->store_src);
        if (r >= 0)
                r = loop_add_io(d->loop, store_conn_fd(d->store), EPOLLIN, on_store_event, d,
                                &d->conn_src);
        /* Fires once at once: a request written while the agent was away is taken. */
        if (r >= 0)
                r = store_watch(d->store, REQUEST_PATH, "request");
        if (r < 0) {
                store_disconnect(d);
                return r;
        }
        d->backoff_usec = 0;
        /* Before any request is taken: the newest one ran when the agent stopped. */
        if (!d->checked_interrupted) {
                d->checked_interrupted = true;
                d->interrupted_pending =
                        requests_unfinished(d->rq, d->store, &d->interrupted_id) > 0;
        }
        answer_interrupted(d);
        return 0;
}

static void schedule_reconnect(struct daemon *d)
{
        d->backoff_usec = d->backoff_usec ? d->backoff_usec * 2 : BACKOFF_MIN_USEC;
        if (d->backoff_usec > BACKOFF_MAX_USEC)
                d->backoff_usec = BACKOFF_MAX_USEC;
        loop_timer_set(d->reconnect_timer, d->backoff_usec, 0);
}

static void store_lost(struct daemon *d, int r)
{
        if (d->store)
                log_warning_errno(r, "Lost the connection to xenstore: %m; reconnecting.");
        store_disconnect(d);
        daemon_status(d);
        schedule_reconnect(d);
}

static int on_reconnect(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;
        int r = store_connect(d);

        if (r < 0) {
                log_debug_errno(r, "xenstore still unreachable: %m");
                schedule_reconnect(d);
                return 0;
        }
        log_info("Connected to xenstore; publishing everything again.");
        return publish(d);
}

/* ---- netlink, files, signals, watchdog ------------------------------------ */

static void on_net_change(void *userdata)
{
        struct daemon *d = userdata;

        /* A burst of link and address events becomes one publish. */
        loop_timer_set(d->net_timer, NET_DEBOUNCE_USEC, 0);
}

static int on_net_io(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;
        int r = netwatch_dispatch(d->net);

        if (r < 0) {
                net_unavailable(d, r);
                return publish(d);
        }
        return 0;
}

static int on_net_timer(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;
        int r = net_refresh(d);

        trim_soon(d);
        return r < 0 ? log_error_errno(r, "Failed to read the interfaces: %m") : publish(d);
}

static int on_fs_io(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;
        int hits = fswatch_drain(d->fs);

        if (hits > 0 && (hits & FSWATCH_PROBE))
                loop_timer_set(d->probe_timer, PROBE_DEBOUNCE_USEC, 0);
        if (hits > 0 && (hits & FSWATCH_CONFIG))
                loop_timer_set(d->config_timer, CONFIG_DEBOUNCE_USEC, 0);
        return 0;
}

static int on_config_timer(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;

        /* Its directory may have come back, or gone. */
        if (d->fs)
                fswatch_refresh(d->fs);
        policy_reload(d);
        trim_soon(d);
        return 0;
}

static int on_probe_timer(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;

        /* Directories that appeared since (a new grub.d, a first BLS entry) get watched. */
        if (d->fs)
                fswatch_refresh(d->fs);
        probe_start(d);
        return 0;
}

static int on_signal(struct loop_source *src, int signo, void *userdata)
{
        struct daemon *d = userdata;

        if (signo == SIGHUP) {
                log_info("SIGHUP: reading %s, probing and publishing everything again.", d->config_name);
                policy_reload(d);
                if (d->store)
                        store_invalidate(d->store);
                return loop_timer_set(d->probe_timer, 0, 0);
        }
        log_info("Signal %d: stopping.", signo);
        loop_quit(d->loop, 0);
        return 0;
}

static int on_watchdog(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        notify_send("WATCHDOG=1");
        return 0;
}

/* ---- setup ----------------------------------------------------------------- */

static void make_ident(struct daemon *d)
{
        _cleanup_free_ char *boot_id = NULL;
        uuid_t u;

        d->ident.version = PACKAGE_VERSION;
        uuid_generate_random(u);
        uuid_unparse_lower(u, d->ident.instance);
        if (root_read_file(d->root_fd, "/proc/sys/kernel/random/boot_id", 64, &boot_id, NULL) >= 0) {
                boot_id[strcspn(boot_id, "\n")] = '\0';
                if (proto_uuid_decode(boot_id, strlen(boot_id), &(struct proto_uuid){ 0 }) >= 0)
                        snprintf(d->ident.boot_id, sizeof(d->ident.boot_id), "%s", boot_id);
        }
}

static int setup_signals(struct daemon *d)
{
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        return loop_add_signals(d->loop, &mask, on_signal, d, &d->sig_src);
}

static int setup_watchdog(struct daemon *d)
{
        uint64_t usec = 0;
        int r;

        if (notify_watchdog_usec(&usec) <= 0)
                return 0;
        r = loop_add_timer(d->loop, on_watchdog, d, &d->watchdog_timer);
        if (r < 0)
                return r;
        return loop_timer_set(d->watchdog_timer, usec / 2, usec / 2);
}

static int setup_timers(struct daemon *d)
{
        int r = loop_add_timer(d->loop, on_reconnect, d, &d->reconnect_timer);

        if (r >= 0)
                r = loop_add_timer(d->loop, on_net_timer, d, &d->net_timer);
        if (r >= 0)
                r = loop_add_timer(d->loop, on_probe_timer, d, &d->probe_timer);
        if (r >= 0)
                r = loop_add_timer(d->loop, on_config_timer, d, &d->config_timer);
        if (r >= 0)
                r = loop_add_timer(d->loop, on_mem_timer, d, &d->mem_timer);
        if (r >= 0)
                r = loop_add_timer(d->loop, on_trim_timer, d, &d->trim_timer);
        /* The file was read before the loop existed. */
        if (r >= 0)
                compat_timer_arm(d);
        return r;
}

static void setup_netwatch(struct daemon *d)
{
        int r = netwatch_new(d->root_fd, on_net_change, d, &d->net);

        if (r >= 0)
                r = loop_add_io(d->loop, netwatch_fd(d->net), EPOLLIN, on_net_io, d, &d->net_src);
        if (r < 0)
                net_unavailable(d, r);
}

static int on_fs_poll(struct loop_source *src, int fd, uint32_t events, void *userdata)
{
        struct daemon *d = userdata;

        loop_timer_set(d->probe_timer, PROBE_DEBOUNCE_USEC, 0);
        loop_timer_set(d->config_timer, CONFIG_DEBOUNCE_USEC, 0);
        return 0;
}

/*
 * inotify may be refused (its per-user instance limit, a sandbox): the agent
 * then reads the files it would watch on a timer, rather than not start and
 * publish nothing.
 */
static int setup_fswatch(struct daemon *d)
{
        uint64_t period;
        int r = fswatch_new(d->opt->root, d->config_path, &d->fs);

        if (r >= 0)
                return loop_add_io(d->loop, fswatch_fd(d->fs), EPOLLIN, on_fs_io, d, &d->fs_src);
        if (r == -ENOMEM)
                return r;
        period = crashpoint_usec("PVH_AGENT_FS_POLL", FS_POLL_USEC);
        log_warning_errno(r, "Cannot watch the boot files and %s: %m; reading them every %llu s instead.",
                          d->config_name, (unsigned long long)(period / 1000000));
        r = loop_add_timer(d->loop, on_fs_poll, d, &d->fs_poll_timer);
        if (r >= 0)
                r = loop_timer_set(d->fs_poll_timer, period, period);
        return r;
}

static int setup_sources(struct daemon *d)
{
        int r = setup_signals(d);

        if (r >= 0)
                r = setup_timers(d);
        if (r >= 0) {
                setup_netwatch(d);
                r = setup_fswatch(d);
        }
        if (r >= 0)
                r = setup_watchdog(d);
        return r;
}

/*
 * A prepare or rollback that a crash or a stop cut short is undone or
 * finished, in the worker: it waits there for the state directory's lock,
 * while the loop goes on (requests meanwhile are answered busy).
 */
static int start_recovery(struct daemon *d)
{
        int r;

        d->recovering = true;
        r = job_start(d->loop, prepare_child, d, JOB_RESULT_MAX, on_job_done, d, &d->job);
        if (r < 0)
                d->recovering = false;
        return r;
}

/* Where the owner's file is: --config as given, else POLICY_PATH in the guest's tree. */
static int config_paths(struct daemon *d)
{
        const char *root = streq(d->opt->root, "/") ? "" : d->opt->root;

        d->config_name = d->opt->config ? d->opt->config : POLICY_PATH;
        d->config_path = d->opt->config ? strdup(d->opt->config) : strdup_printf("%s%s", root, POLICY_PATH);
        return d->config_path ? 0 : -ENOMEM;
}

static int daemon_setup(struct daemon *d)
{
        int r;

        d->root_fd = open(d->opt->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->root_fd < 0)
                return log_error_errno(-errno, "Failed to open root '%s': %m", d->opt->root);
        d->host_root = root_is_host(d->root_fd);
        d->state_fd = prepare_state_dir(d->root_fd, d->opt->state_dir);
        if (d->state_fd < 0)
                log_warning_errno(d->state_fd,
                                  "State directory '%s' is not usable (%m); kernel results and request ids are not kept.",
                                  d->opt->state_dir ? d->opt->state_dir : PREPARE_STATE_DIR);
        make_ident(d);
        r = config_paths(d);
        if (r >= 0)
                policy_reload(d);
        if (r >= 0)
                r = requests_new(d->state_fd, &d->rq);
        if (r >= 0)
                r = loop_new(&d->loop);
        if (r >= 0)
                r = setup_sources(d);
        if (r >= 0)
                r = start_recovery(d);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event sources: %m");
        probe_start(d);
        return 0;
}

static void daemon_teardown(struct daemon *d)
{
        d->job = job_free(d->job);
        d->probing = probe_job_free(d->probing);
        free(d->recovered);
        free(d->config_path);
        if (d->state_fd >= 0)
                close(d->state_fd);
        store_disconnect(d);
        netwatch_free(d->net);
        fswatch_free(d->fs);
        d->loop = loop_free(d->loop);
        d->rq = requests_free(d->rq);
        kvset_clear(&d->probe_kv);
        kvset_clear(&d->net_kv);
        kvset_clear(&d->compat_net_kv);
        kvset_clear(&d->compat_last);
        if (d->root_fd >= 0)
                close(d->root_fd);
}

/*
 * The double fork of a daemon started by an init script. The caller's
 * process stays until the daemon says it is set up, so that a start that
 * cannot succeed fails where it was asked for; it then exits 0, or 1 when
 * the daemon ended first. Returns in the daemon, with the descriptor to
 * send that one byte on.
 */
static int daemonize(int *ret_ready_fd)
{
        int p[2], fd;
        pid_t pid;
        char c;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0) {
                close(p[1]);
                waitpid(pid, NULL, 0);
                _exit(read(p[0], &c, 1) == 1 ? EXIT_DONE : EXIT_FAILED);
        }
        close(p[0]);
        if (setsid() < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0)
                _exit(EXIT_DONE);
        if (chdir("/") < 0)
                return -errno;
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
                close(fd);
        *ret_ready_fd = p[1];
        return 0;
}

/* "PID\n", replaced atomically, readable by all (init scripts run as root, status tools may not). */
static int write_pid_file(const char *path)
{
        struct file_meta m = { .mode = 0644, .uid = getuid(), .gid = getgid() };
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

        return fileedit_replace_path(path, buf, (size_t)n, &m);
}

/* Only a pid file that is still ours: another agent may have started since. */
static void remove_pid_file(const char *path)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        unsigned pid;

        if (fd < 0 || read_full_fd(fd, &text, 32, NULL) < 0)
                return;
        text[strcspn(text, "\n")] = '\0';
        if (safe_atou(text, &pid) >= 0 && pid == (unsigned)getpid())
                unlink(path);
}

/* In the background: syslog instead of the terminal, which goes away. */
static int go_background(const struct daemon_options *o, int *ret_ready_fd)
{
        int r;

        if (o->foreground)
                return 0;
        /* A service manager that waits for READY=1 from this process keeps it in front. */
        if (notify_expected()) {
                log_debug("NOTIFY_SOCKET is set: staying in the foreground.");
                return 0;
        }
        log_to_syslog();
        r = daemonize(ret_ready_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to go to the background: %m");
        return 0;
}

static int daemon_start(struct daemon *d)
{
        int r = daemon_setup(d);

        if (r >= 0)
                r = net_refresh(d);
        if (r >= 0 && d->opt->pid_file) {
                r = write_pid_file(d->opt->pid_file);
                if (r < 0)
                        log_error_errno(r, "Failed to write the pid file '%s': %m", d->opt->pid_file);
        }
        return r;
}

int daemon_main(const struct daemon_options *o)
{
        struct daemon d = { .opt = o, .root_fd = -1, .state_fd = -1 };
        int ready_fd = -1, r;

        r = go_background(o, &ready_fd);
        if (r >= 0)
                r = daemon_start(&d);
        if (ready_fd >= 0) {
                if (r >= 0)
                        (void)!write(ready_fd, "R", 1);
                close(ready_fd);
        }
        if (r < 0) {
                daemon_teardown(&d);
                return EXIT_FAILED;
        }
        if (store_connect(&d) < 0) {
                log_warning("xenstore is not reachable yet; retrying.");
                schedule_reconnect(&d);
        } else
                publish(&d);
        r = loop_run(d.loop);
        notify_send("STOPPING=1");
        if (o->pid_file)
                remove_pid_file(o->pid_file);
        daemon_teardown(&d);
        return r < 0 ? EXIT_FAILED : EXIT_DONE;
}
