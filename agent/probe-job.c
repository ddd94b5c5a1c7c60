/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crashpoint.h"
#include "job.h"
#include "macro.h"
#include "probe-job.h"
#include "probe.h"
#include "state.h"
#include "util.h"

/* The state keys of one probe: a few KiB; the bound keeps a runaway child from growing us. */
#define RESULT_MAX (256u << 10)

struct probe_job {
        struct probe_job_args args;
        struct job *job;
        probe_job_done_fn done;
        void *userdata;
};

/*
 * Test hooks (--enable-fault-injection only): PVH_AGENT_PROBE_HOLD=FILE keeps
 * each probe waiting while FILE exists, as a slow image would;
 * PVH_AGENT_PROBE_TIMEOUT=SECONDS replaces the time a probe may take.
 */
static void test_hold(void)
{
#ifdef ENABLE_FAULT_INJECTION
        const char *f = getenv("PVH_AGENT_PROBE_HOLD");
        struct timespec pause = { 0, 50 * 1000 * 1000 };

        while (f && *f && access(f, F_OK) == 0)
                nanosleep(&pause, NULL);
#endif
}

static uint64_t timeout_usec(void)
{
        return crashpoint_usec("PVH_AGENT_PROBE_TIMEOUT", PROBE_JOB_TIMEOUT_USEC);
}

static int state_of(const struct probe_job_args *a, struct kvset *ret)
{
        struct check_result res[_PROTO_CHECK_MAX];
        struct kcache *cache = NULL;
        enum proto_verdict v;
        struct facts f;
        int r = kcache_new(a->state_fd, a->state_fd >= 0 ? "kernel-cache" : NULL, &cache);

        /* An unreadable cache is only slower. */
        if (r < 0 && a->state_fd >= 0)
                r = kcache_new(AT_FDCWD, NULL, &cache);
        if (r < 0)
                return r;
        r = probe_system(a->root_fd, a->host_root, cache, &f, res, &v);
        if (r >= 0) {
                r = probe_result_keys(ret, &f, res, v);
                checks_done(res);
                facts_done(&f);
                kcache_save(cache);
        }
        kcache_free(cache);
        return r;
}

/* In the child: the state keys on out_fd; the exit status is an errno when there are none. */
static int child(void *arg, int out_fd)
{
        struct probe_job *p = arg;
        _cleanup_free_ char *buf = NULL;
        struct kvset kv = { 0 };
        size_t len;
        int r;

        test_hold();
        r = state_of(&p->args, &kv);
        if (r >= 0)
                r = kvset_encode(&kv, &buf, &len);
        kvset_clear(&kv);
        if (r >= 0)
                r = write_all(out_fd, buf, len);
        return r >= 0 ? 0 : -r < 128 ? -r : EIO;
}

static void why_failed(int status, char *buf, size_t size)
{
        if (status == -ETIME)
                snprintf(buf, size, "the probe did not finish within %llu s and was stopped",
                         (unsigned long long)(timeout_usec() / 1000000));
        else if (status > 128)
                snprintf(buf, size, "the probe process was killed by signal %d", status - 128);
        else
                snprintf(buf, size, "the probe failed: %s", strerror(status));
}

/* No result: verdict unknown, every check unknown with the reason, and what the system says cheaply. */
static int failed_state(const struct probe_job_args *a, const char *why, struct kvset *ret)
{
        _cleanup_free_ char *reason = strdup(why);
        struct check_result res[_PROTO_CHECK_MAX];
        struct facts f;
        int r;

        if (!reason)
                return -ENOMEM;
        if (facts_gather_running(a->root_fd, a->host_root, &f) < 0)
                f = (struct facts){};
        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++)
                res[i] = (struct check_result){ .id = (enum proto_check)i,
                                                .status = CHECK_UNKNOWN,
                                                .reason = reason };
        r = probe_result_keys(ret, &f, res, PROTO_VERDICT_UNKNOWN);
        facts_done(&f);
        return r;
}

static void on_done(void *userdata, int status, const char *data, size_t len)
{
        struct probe_job *p = userdata;
        struct kvset kv = { 0 };
        char why[128];
        int r = -EBADMSG;

        if (status == 0 && (r = kvset_decode(data, len, &kv)) >= 0 && !kvset_get(&kv, "verdict"))
                r = -EBADMSG;
        /* data goes with the job. */
        p->job = job_free(p->job);
        if (r >= 0) {
                p->done(p->userdata, &kv, NULL);
                kvset_clear(&kv);
                return;
        }
        kvset_clear(&kv);
        if (status == 0)
                snprintf(why, sizeof(why), "the probe's result did not decode");
        else
                why_failed(status, why, sizeof(why));
        if (failed_state(&p->args, why, &kv) < 0)
                kvset_clear(&kv);
        p->done(p->userdata, &kv, why);
        kvset_clear(&kv);
}

int probe_job_start(struct loop *l, const struct probe_job_args *a, probe_job_done_fn done,
                    void *userdata, struct probe_job **ret)
{
        struct probe_job *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        *p = (struct probe_job){ .args = *a, .done = done, .userdata = userdata };
        r = job_start(l, child, p, RESULT_MAX, on_done, p, &p->job);
        if (r >= 0)
                r = job_set_timeout(p->job, timeout_usec());
        if (r < 0) {
                probe_job_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

struct probe_job *probe_job_free(struct probe_job *p)
{
        if (!p)
                return NULL;
        job_free(p->job);
        free(p);
        return NULL;
}
