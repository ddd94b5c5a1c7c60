/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "hostreq.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "render.h"
#include "util.h"

#define RECHECK_MS 1000 /* watches may be missed across a domain's re-creation */

void msnap_done(struct msnap *s)
{
        free(s->addrs);
        free(s->failing);
        *s = (struct msnap){};
}

/* The domain's name: 0, 1 when it has none this program can use (gone, too long, hidden). */
static int read_name(struct xstore *x, unsigned domid, char **ret, size_t *ret_len)
{
        char path[PROTO_DOMAIN_PATH_MAX];
        int r;

        proto_domain_path(domid, "name", path, sizeof(path));
        r = xstore_read(x, path, GUEST_NAME_MAX, ret, ret_len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES)
                return 1;
        return r < 0 ? r : 0;
}

int mguest_find(struct xstore *x, const char *name, unsigned *ret_domid)
{
        _cleanup_free_ unsigned *ids = NULL;
        unsigned n;
        int r;

        r = xstore_domains(x, GUESTS_MAX, &ids, &n);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                _cleanup_free_ char *v = NULL;
                size_t len;

                r = read_name(x, ids[i], &v, &len);
                if (r < 0)
                        return r;
                if (r == 0 && len == strlen(name) && memcmp(v, name, len) == 0) {
                        *ret_domid = ids[i];
                        return 0;
                }
        }
        return -ENOENT;
}

void mnames_done(struct mnames *t)
{
        for (unsigned i = 0; i < t->n; i++)
                free(t->name[i]);
        free(t->name);
        free(t->domid);
        *t = (struct mnames){};
}

int mnames_read(struct xstore *x, struct mnames *ret)
{
        struct mnames t = {};
        int r;

        r = xstore_domains(x, GUESTS_MAX, &t.domid, &t.n);
        if (r < 0)
                return r;
        t.name = calloc(t.n ? t.n : 1, sizeof(*t.name));
        if (!t.name) {
                free(t.domid);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < t.n; i++) {
                size_t len;

                r = read_name(x, t.domid[i], &t.name[i], &len);
                if (r < 0) {
                        mnames_done(&t);
                        return r;
                }
                if (r == 0 && strlen(t.name[i]) != len) {
                        /* A NUL inside: it names no guest. */
                        free(t.name[i]);
                        t.name[i] = NULL;
                }
        }
        *ret = t;
        return 0;
}

int mnames_find(const struct mnames *t, const char *name, unsigned *ret_domid)
{
        for (unsigned i = 0; i < t->n; i++)
                if (t->name[i] && streq(t->name[i], name)) {
                        *ret_domid = t->domid[i];
                        return 0;
                }
        return -ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One address key; kept only when it is a valid protocol value. */
static int read_addr(struct xstore *x, const char *path, enum proto_key key, char ***list,
                     unsigned *n)
{
        char *v = NULL, **nl;
        size_t len;
        int r;

        r = xstore_read(x, path, proto_key_info(key)->max, &v, &len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        if (proto_key_check(key, v, len) < 0) {
                free(v);
                return 0;
        }
        nl = realloc(*list, (*n + 1) * sizeof(**list));
        if (!nl) {
                free(v);
                return -ENOMEM;
        }
        *list = nl;
        nl[(*n)++] = v;
        return 0;
}

static int read_addrs(struct xstore *x, unsigned domid, char **ret)
{
        char **list = NULL, *out;
        unsigned n = 0;
        size_t size = 1;
        int r = 0;

        for (unsigned i = 0; i < PROTO_NET_IF_MAX && r >= 0; i++) {
                for (unsigned k = 0; k < PROTO_NET_IPV4_MAX + PROTO_NET_IPV6_MAX && r >= 0; k++) {
                        bool v4 = k < PROTO_NET_IPV4_MAX;
                        struct proto_path_args pa = { .iface = i,
                                                      .index = v4 ? k : k - PROTO_NET_IPV4_MAX };
                        char path[PROTO_DOMAIN_PATH_MAX];

                        proto_domain_key_path(domid, v4 ? PROTO_KEY_NET_IPV4 : PROTO_KEY_NET_IPV6,
                                              &pa, path, sizeof(path));
                        r = read_addr(x, path, v4 ? PROTO_KEY_NET_IPV4 : PROTO_KEY_NET_IPV6, &list,
                                      &n);
                }
        }
        if (r >= 0 && n)
                qsort(list, n, sizeof(*list), cmp_str);
        for (unsigned i = 0; i < n; i++)
                size += strlen(list[i]) + 1;
        out = r >= 0 ? calloc(1, size) : NULL;
        for (unsigned i = 0; out && i < n; i++) {
                if (i && strcmp(list[i], list[i - 1]) == 0)
                        continue;
                if (*out)
                        strcat(out, " ");
                strcat(out, list[i]);
        }
        for (unsigned i = 0; i < n; i++)
                free(list[i]);
        free(list);
        if (r < 0)
                return r;
        if (!out)
                return -ENOMEM;
        *ret = out;
        return 0;
}

char *mguest_failing_text(const struct guest *g, bool fixes)
{
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return NULL;
        for (unsigned i = 0, k = 0; i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];
                const struct gvalue *v = fixes ? &c->fix : &c->reason;
                _cleanup_free_ char *e = NULL;

                if (c->status != PROTO_STATUS_FAIL)
                        continue;
                if (v->err == 0)
                        e = render_escape(v->val, strlen(v->val));
                fprintf(f, "%s%s%s%s", k++ ? "; " : "", c->id[0] ? c->id : "?", e ? ": " : "",
                        e ? e : "");
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

static void copy_word(char *dst, size_t size, const char *src)
{
        snprintf(dst, size, "%s", src ? src : "");
}

int mguest_snapshot(struct xstore *x, unsigned domid, struct msnap *ret)
{
        struct guest g;
        struct msnap s = { .domid = domid };
        int r;

        r = guest_read(x, domid, GUEST_READ_REASONS, &g);
        if (r < 0) {
                guest_done(&g);
                return r;
        }
        s.agent = g.agent;
        copy_word(s.verdict, sizeof(s.verdict), guest_verdict_word(&g));
        copy_word(s.guest_type, sizeof(s.guest_type), guest_get(&g, GF_GUEST_TYPE));
        copy_word(s.boot_id, sizeof(s.boot_id), guest_get(&g, GF_AGENT_BOOT_ID));
        for (int a = 0; a < _PROTO_ACTION_MAX; a++)
                if (guest_offers(&g, (enum proto_action)a))
                        s.actions |= 1u << a;
        s.report_only = guest_report_only(&g);
        s.failing = mguest_failing_text(&g, false);
        guest_done(&g);
        r = s.failing ? read_addrs(x, domid, &s.addrs) : -ENOMEM;
        if (r < 0) {
                msnap_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

char *mguest_no_prepare(const struct msnap *s)
{
        char *r = NULL;

        if (asprintf(&r, "fixable, but %s: fix by hand in the guest (pvh-agent prepare there does it): %s",
                     s->report_only ? "its owner allows reports only" : "its agent does not take prepare",
                     s->failing ? s->failing : "") < 0)
                return NULL;
        return r;
}

char *mguest_fixable_unprepared(const struct msnap *s)
{
        char *r = NULL;

        if (asprintf(&r, "fixable, and the migration prepares no guest (--no-prepare): %s",
                     s->failing && *s->failing ? s->failing : "a check fails") < 0)
                return NULL;
        return r;
}

bool mguest_addrs_cover(const char *have, const char *want, char **ret_missing)
{
        _cleanup_free_ char *w = strdup(want ? want : "");
        char *missing = NULL, *save = NULL;
        size_t mlen = 0;
        FILE *f = NULL;

        if (!w)
                return false;
        for (char *a = strtok_r(w, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
                const char *p = have ? strstr(have, a) : NULL;
                size_t n = strlen(a);

                /* Whole words only. */
                while (p && !((p == have || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')))
                        p = strstr(p + 1, a);
                if (p)
                        continue;
                if (!f)
                        f = open_memstream(&missing, &mlen);
                if (f)
                        fprintf(f, "%s%s", mlen ? " " : "", a);
                if (f)
                        fflush(f);
        }
        if (f)
                fclose(f);
        if (ret_missing)
                *ret_missing = missing;
        else
                free(missing);
        return missing == NULL;
}

/* ---- requests ------------------------------------------------------------- */

/* The state of answer id: a proto_state, or -ENOENT when there is none yet. */
static int answer_state(struct xstore *x, unsigned domid, const char *id, struct ganswer *a)
{
        int r = guest_read_answer(x, domid, id, a);

        if (r < 0)
                return r;
        if (a->state.err != 0)
                return -ENOENT;
        r = proto_state_from_string(a->state.val, strlen(a->state.val));
        return r < 0 ? -ENOENT : r;
}

/* 1 when the request is in the node (written now or still there), 0 when another holds it. */
static int try_send(struct xstore *x, unsigned domid, const struct proto_request *req)
{
        int r = hostreq_slot(x, domid, req->id.s);

        if (r < 0)
                return r;
        if (r == HOSTREQ_FREE)
                r = hostreq_write(x, domid, req);
        return r < 0 ? r : r != HOSTREQ_BUSY;
}

static int wait_event(struct xstore *x, uint64_t deadline)
{
        struct pollfd p = { .fd = xstore_fd(x), .events = POLLIN };
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int ms, r;

        if (now >= deadline)
                return 0;
        ms = (int)((deadline - now + 999) / 1000);
        if (ms > RECHECK_MS)
                ms = RECHECK_MS;
        /* A signal: the caller's, to stop waiting (the answer is awaited again under the same id). */
        if (poll(&p, 1, ms) < 0)
                return -errno;
        for (;;) {
                _cleanup_free_ char **ev = NULL;

                r = xstore_next_event(x, &ev);
                if (r <= 0)
                        return r;
        }
}

static int domain_exists(struct xstore *x, unsigned domid)
{
        char path[PROTO_DOMAIN_PATH_MAX];

        proto_domain_path(domid, NULL, path, sizeof(path));
        return xstore_exists(x, path);
}

static int request_loop(struct xstore *x, unsigned domid, const struct proto_request *req,
                        uint64_t deadline, enum mreq_outcome *ret, char **ret_msg)
{
        bool sent = false;
        int r;

        for (;;) {
                struct ganswer a = {};
                int s = answer_state(x, domid, req->id.s, &a);

                if (s >= 0 && proto_state_is_final((enum proto_state)s)) {
                        const struct gvalue *m = s == PROTO_STATE_DONE ? &a.message : &a.reason;

                        *ret = s == PROTO_STATE_DONE ? MREQ_DONE : MREQ_FAILED;
                        *ret_msg = m->err == 0 ? render_escape(m->val, strlen(m->val)) : strdup("");
                        ganswer_done(&a);
                        return *ret_msg ? 0 : -ENOMEM;
                }
                ganswer_done(&a);
                if (s < 0 && s != -ENOENT)
                        return s;
                r = domain_exists(x, domid);
                if (r <= 0) {
                        *ret = MREQ_GONE;
                        return r;
                }
                /* Not answered yet and not in the node: (re)send, once the node is free. */
                if (s == -ENOENT && !sent) {
                        r = try_send(x, domid, req);
                        if (r < 0)
                                return r;
                        sent = r > 0;
                }
                if (now_usec(CLOCK_MONOTONIC) >= deadline) {
                        *ret = MREQ_TIMEOUT;
                        return 0;
                }
                r = wait_event(x, deadline);
                if (r < 0)
                        return r;
        }
}

int mguest_request(struct xstore *x, unsigned domid, enum proto_action action, const char *id,
                   unsigned timeout_s, enum mreq_outcome *ret, char **ret_message)
{
        struct proto_request req = { .action = action };
        struct proto_path_args pa = {};
        char path[PROTO_DOMAIN_PATH_MAX], token[32];
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t)timeout_s * 1000000;
        int r;

        if (strlen(id) != PROTO_UUID_LEN)
                return -EINVAL;
        memcpy(req.id.s, id, sizeof(req.id.s));
        memcpy(pa.uuid, id, sizeof(pa.uuid));
        if (proto_domain_key_path(domid, PROTO_KEY_ANSWER_STATE, &pa, path, sizeof(path)) < 0)
                return -EINVAL;
        snprintf(token, sizeof(token), "mreq:%u", domid);
        r = xstore_watch(x, path, token);
        if (r < 0)
                return r;
        r = xstore_watch(x, "@releaseDomain", "mreq:release");
        if (r >= 0)
                r = request_loop(x, domid, &req, deadline, ret, ret_message);
        xstore_unwatch(x, "@releaseDomain", "mreq:release");
        xstore_unwatch(x, path, token);
        return r;
}

int mguest_ping(struct xstore *x, struct mdb *d, unsigned domid, const char *name, char **ret_why)
{
        _cleanup_free_ char *msg = NULL;
        char id[PROTO_UUID_LEN + 1];
        enum mreq_outcome o;
        uuid_t u;
        int r;

        uuid_generate_random(u);
        uuid_unparse_lower(u, id);
        if (d && (r = mdb_request_sent(d, id, domid, name, PROTO_ACTION_PING)) < 0)
                return r;
        r = mguest_request(x, domid, PROTO_ACTION_PING, id, MIG_PING_TIMEOUT, &o, &msg);
        if (r < 0)
                return r;
        if (o == MREQ_DONE)
                return 0;
        if (o == MREQ_FAILED)
                r = asprintf(ret_why, "no answer: the agent failed a ping (%s)", msg ? msg : "");
        else if (o == MREQ_GONE)
                r = asprintf(ret_why, "no answer: the domain went away");
        else
                r = asprintf(ret_why, "no answer: the agent did not answer a ping within %u s "
                             "(what it published is stale, or another request holds its node)",
                             MIG_PING_TIMEOUT);
        return r < 0 ? -ENOMEM : 1;
}
