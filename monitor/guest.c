/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "macro.h"
#include "util.h"


static const struct {
        enum proto_key key;
        const char *name;
} fields[_GF_MAX] = {
        [GF_SCHEMA] = { PROTO_KEY_SCHEMA, "schema" },
        [GF_AGENT_VERSION] = { PROTO_KEY_AGENT_VERSION, "agent_version" },
        [GF_AGENT_ACTIONS] = { PROTO_KEY_AGENT_ACTIONS, "agent_actions" },
        [GF_AGENT_INSTANCE] = { PROTO_KEY_AGENT_INSTANCE, "agent_instance" },
        [GF_AGENT_BOOT_ID] = { PROTO_KEY_AGENT_BOOT_ID, "boot_id" },
        [GF_GUEST_TYPE] = { PROTO_KEY_GUEST_TYPE, "guest_type" },
        [GF_KERNEL_RELEASE] = { PROTO_KEY_KERNEL_RELEASE, "kernel_release" },
        [GF_KERNEL_ARCH] = { PROTO_KEY_KERNEL_ARCH, "kernel_arch" },
        [GF_OS_ID] = { PROTO_KEY_OS_ID, "os_id" },
        [GF_OS_VERSION_ID] = { PROTO_KEY_OS_VERSION_ID, "os_version_id" },
        [GF_OS_PRETTY_NAME] = { PROTO_KEY_OS_PRETTY_NAME, "os_pretty_name" },
        [GF_NEXT_BOOT_KERNEL] = { PROTO_KEY_NEXT_BOOT_KERNEL, "next_boot_kernel" },
        [GF_NEXT_BOOT_RELEASE] = { PROTO_KEY_NEXT_BOOT_RELEASE, "next_boot_release" },
        [GF_VERDICT] = { PROTO_KEY_VERDICT, "verdict" },
        [GF_LAST_REQUEST] = { PROTO_KEY_LAST_REQUEST, "last_request" },
};

enum proto_key guest_field_key(enum guest_field f)
{
        return fields[f].key;
}

const char *guest_field_name(enum guest_field f)
{
        return fields[f].name;
}

static void gvalue_done(struct gvalue *v)
{
        free(v->val);
        v->val = NULL;
}

/* Reads one value with the key's bound and check; xenstore errors other than ENOENT fail. */
static int read_value(const struct guest_source *s, const char *path, enum proto_key key,
                      struct gvalue *ret)
{
        const struct proto_key_info *k = proto_key_info(key);
        char *v = NULL;
        size_t len = 0;
        int r;

        r = s->read(s->userdata, path, k->max, &v, &len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES) {
                ret->err = r == -E2BIG ? -PROTO_E_TOO_LONG : GV_ABSENT;
                return 0;
        }
        if (r < 0)
                return r;
        r = proto_key_check(key, v, len);
        if (r < 0) {
                free(v);
                ret->err = r;
                return 0;
        }
        ret->val = v;
        ret->err = 0;
        return 0;
}

static int read_key(const struct guest_source *s, unsigned domid, enum proto_key key,
                    const struct proto_path_args *args, struct gvalue *ret)
{
        char path[PROTO_DOMAIN_PATH_MAX];

        if (proto_domain_key_path(domid, key, args, path, sizeof(path)) < 0)
                return -EINVAL;
        return read_value(s, path, key, ret);
}

static int read_name(const struct guest_source *s, struct guest *g)
{
        char path[PROTO_DOMAIN_PATH_MAX];
        char *v = NULL;
        size_t len;
        int r;

        proto_domain_path(g->domid, "name", path, sizeof(path));
        r = s->read(s->userdata, path, GUEST_NAME_MAX, &v, &len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES) {
                g->name.err = r == -E2BIG ? -PROTO_E_TOO_LONG : GV_ABSENT;
                return 0;
        }
        if (r < 0)
                return r;
        if (memchr(v, 0, len)) {
                free(v);
                g->name.err = -PROTO_E_NUL;
                return 0;
        }
        g->name.val = v;
        return 0;
}

static int read_check(const struct guest_source *s, struct guest *g, const char *id, unsigned flags)
{
        struct gcheck *c = &g->checks[g->n_checks++];
        struct proto_path_args a = { .check_name = id };
        struct gvalue st = {};
        int r;

        c->status = -PROTO_E_PATH;
        c->reason.err = GV_ABSENT;
        if (proto_value_check(PROTO_T_CHECK_ID, id, strlen(id), PROTO_CHECK_ID_MAX) < 0)
                return 0;
        strcpy(c->id, id);
        r = read_key(s, g->domid, PROTO_KEY_CHECK_STATUS, &a, &st);
        if (r < 0)
                return r;
        g->nodes++;
        c->status = st.err;
        if (st.err == 0)
                c->status = proto_status_from_string(st.val, strlen(st.val));
        gvalue_done(&st);
        if (c->status == PROTO_STATUS_FAIL)
                g->n_failing++;
        if (!(flags & GUEST_READ_REASONS))
                return 0;
        g->nodes++;
        return read_key(s, g->domid, PROTO_KEY_CHECK_REASON, &a, &c->reason);
}

static int read_checks(const struct guest_source *s, struct guest *g, unsigned flags)
{
        _cleanup_free_ char **ids = NULL;
        char path[PROTO_DOMAIN_PATH_MAX];
        unsigned n;
        int r;

        proto_domain_path(g->domid, PROTO_GUEST_DIR "/checks", path, sizeof(path));
        r = s->directory(s->userdata, path, &ids, &n);
        if (r == -ENOENT || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        g->nodes += n;
        if (g->nodes > PROTO_NODES_MAX) {
                g->agent = GUEST_AGENT_INVALID;
                g->agent_err = -PROTO_E_TOO_MANY;
                return 0;
        }
        g->checks_omitted = n > PROTO_CHECKS_MAX ? n - PROTO_CHECKS_MAX : 0;
        if (n > PROTO_CHECKS_MAX)
                n = PROTO_CHECKS_MAX;
        g->checks = calloc(n ? n : 1, sizeof(*g->checks));
        if (!g->checks)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                r = read_check(s, g, ids[i], flags);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_answer(const struct guest_source *s, unsigned domid, const char *id,
                       struct ganswer *ret)
{
        static const enum proto_key keys[] = { PROTO_KEY_ANSWER_STATE, PROTO_KEY_ANSWER_ACTION,
                                               PROTO_KEY_ANSWER_REASON,
                                               PROTO_KEY_ANSWER_MESSAGE };
        struct gvalue *vals[] = { &ret->state, &ret->action, &ret->reason, &ret->message };
        struct proto_path_args a = {};
        int r;

        snprintf(a.uuid, sizeof(a.uuid), "%s", id);
        snprintf(ret->id, sizeof(ret->id), "%s", id);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                gvalue_done(vals[i]);
                r = read_key(s, domid, keys[i], &a, vals[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_last_answer(const struct guest_source *s, struct guest *g)
{
        const char *id = g->f[GF_LAST_REQUEST].val;

        if (!id)
                return 0;
        g->nodes += 4;
        return read_answer(s, g->domid, id, &g->last);
}

static int read_fields(const struct guest_source *s, struct guest *g)
{
        for (int f = GF_AGENT_VERSION; f < _GF_MAX; f++) {
                int r;

                if (g->agent == GUEST_AGENT_INCOMPATIBLE && f != GF_AGENT_VERSION)
                        break;
                r = read_key(s, g->domid, fields[f].key, NULL, &g->f[f]);
                if (r < 0)
                        return r;
                g->nodes++;
        }
        return 0;
}

static void judge_schema(struct guest *g)
{
        const struct gvalue *s = &g->f[GF_SCHEMA];
        struct proto_schema sc;
        int r;

        if (s->err == GV_ABSENT) {
                g->agent = GUEST_AGENT_NONE;
                return;
        }
        r = s->err ? s->err : proto_schema_decode(s->val, strlen(s->val), &sc);
        if (r == -PROTO_E_INCOMPATIBLE)
                g->agent = GUEST_AGENT_INCOMPATIBLE;
        else if (r < 0) {
                g->agent = GUEST_AGENT_INVALID;
                g->agent_err = r;
        } else
                g->agent = GUEST_AGENT_OK;
}

int guest_read_from(const struct guest_source *s, unsigned domid, unsigned flags, struct guest *ret)
{
        int r;

        *ret = (struct guest){ .domid = domid };
        for (int f = 0; f < _GF_MAX; f++)
                ret->f[f].err = GV_ABSENT;
        ret->last.state.err = ret->last.action.err = GV_ABSENT;
        ret->last.reason.err = ret->last.message.err = GV_ABSENT;
        r = read_name(s, ret);
        if (r < 0)
                return r;
        r = read_key(s, domid, PROTO_KEY_SCHEMA, NULL, &ret->f[GF_SCHEMA]);
        if (r < 0)
                return r;
        ret->nodes = 1;
        judge_schema(ret);
        if (ret->agent == GUEST_AGENT_NONE || ret->agent == GUEST_AGENT_INVALID)
                return 0;
        r = read_fields(s, ret);
        if (r < 0 || ret->agent == GUEST_AGENT_INCOMPATIBLE)
                return r;
        r = read_checks(s, ret, flags);
        if (r < 0 || ret->agent == GUEST_AGENT_INVALID)
                return r;
        return read_last_answer(s, ret);
}

void ganswer_done(struct ganswer *a)
{
        gvalue_done(&a->state);
        gvalue_done(&a->action);
        gvalue_done(&a->reason);
        gvalue_done(&a->message);
}

void guest_done(struct guest *g)
{
        gvalue_done(&g->name);
        for (int f = 0; f < _GF_MAX; f++)
                gvalue_done(&g->f[f]);
        for (unsigned i = 0; i < g->n_checks; i++)
                gvalue_done(&g->checks[i].reason);
        free(g->checks);
        ganswer_done(&g->last);
        *g = (struct guest){};
}

const char *guest_get(const struct guest *g, enum guest_field f)
{
        return g->f[f].err == 0 ? g->f[f].val : NULL;
}

const char *guest_verdict_word(const struct guest *g)
{
        switch (g->agent) {
        case GUEST_AGENT_NONE:
                return "none";
        case GUEST_AGENT_INCOMPATIBLE:
                return "incompatible";
        case GUEST_AGENT_INVALID:
                return "invalid";
        case GUEST_AGENT_OK:
                break;
        }
        if (g->f[GF_VERDICT].err == GV_ABSENT)
                return "missing";
        if (g->f[GF_VERDICT].err < 0)
                return "invalid";
        return g->f[GF_VERDICT].val;
}

bool guest_offers(const struct guest *g, enum proto_action a)
{
        const char *v = guest_get(g, GF_AGENT_ACTIONS);
        struct proto_actions acts;

        if (g->agent == GUEST_AGENT_INCOMPATIBLE)
                return a == PROTO_ACTION_PING;
        if (g->agent != GUEST_AGENT_OK || !v)
                return false;
        if (proto_actions_decode(v, strlen(v), &acts) < 0)
                return false;
        return acts.known & (1u << a);
}

static bool guest_actions(const struct guest *g, struct proto_actions *ret)
{
        const char *v = guest_get(g, GF_AGENT_ACTIONS);

        return g->agent == GUEST_AGENT_OK && v && proto_actions_decode(v, strlen(v), ret) >= 0;
}

bool guest_allows(const struct guest *g, enum proto_action a, unsigned args)
{
        struct proto_actions acts;

        if (g->agent == GUEST_AGENT_INCOMPATIBLE)
                return a == PROTO_ACTION_PING;
        return guest_actions(g, &acts) && proto_actions_allow(&acts, a, args);
}

bool guest_report_only(const struct guest *g)
{
        const unsigned changing = (1u << PROTO_ACTION_PREPARE) | (1u << PROTO_ACTION_ROLLBACK);
        struct proto_actions acts;

        return guest_actions(g, &acts) && !((acts.known | acts.dry_run_only) & changing);
}

static int read_output(const struct guest_source *s, unsigned domid, const char *id, char **ret,
                       size_t *ret_len, uint32_t *ret_omitted)
{
        struct proto_path_args a = {};
        struct gvalue om = {};
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        int r;

        snprintf(a.uuid, sizeof(a.uuid), "%s", id);
        out = malloc(PROTO_OUTPUT_CHUNKS_MAX * PROTO_OUTPUT_CHUNK_MAX + 1);
        if (!out)
                return -ENOMEM;
        for (a.index = 0; a.index < PROTO_OUTPUT_CHUNKS_MAX; a.index++) {
                struct gvalue c = {};

                r = read_key(s, domid, PROTO_KEY_ANSWER_OUTPUT, &a, &c);
                if (r < 0)
                        return r;
                if (c.err == GV_ABSENT)
                        break;
                if (c.err < 0) {
                        len += (size_t)sprintf(out + len, "[chunk %u invalid: %s]\n", a.index,
                                               proto_error_name(c.err));
                        continue;
                }
                memcpy(out + len, c.val, strlen(c.val));
                len += strlen(c.val);
                gvalue_done(&c);
        }
        out[len] = 0;
        *ret_omitted = 0;
        r = read_key(s, domid, PROTO_KEY_ANSWER_OMITTED, &a, &om);
        if (r < 0)
                return r;
        if (om.err == 0)
                proto_count_decode(om.val, strlen(om.val), PROTO_COUNT_MAX, ret_omitted);
        gvalue_done(&om);
        *ret_len = len;
        *ret = TAKE_PTR(out);
        return 0;
}

const char *guest_get_name(const struct guest *g)
{
        return g->name.err == 0 ? g->name.val : NULL;
}

/* The commands read through libxenstore. */
static int source_read(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len)
{
        return xstore_read(userdata, path, max, ret, ret_len);
}

static int source_directory(void *userdata, const char *path, char ***ret, unsigned *ret_n)
{
        return xstore_directory(userdata, path, ret, ret_n);
}

#define XSTORE_SOURCE(x) (&(const struct guest_source){ source_read, source_directory, (x) })

int guest_read(struct xstore *x, unsigned domid, unsigned flags, struct guest *ret)
{
        return guest_read_from(XSTORE_SOURCE(x), domid, flags, ret);
}

int guest_read_answer(struct xstore *x, unsigned domid, const char *id, struct ganswer *ret)
{
        return read_answer(XSTORE_SOURCE(x), domid, id, ret);
}

int guest_read_output(struct xstore *x, unsigned domid, const char *id, char **ret,
                      size_t *ret_len, uint32_t *ret_omitted)
{
        return read_output(XSTORE_SOURCE(x), domid, id, ret, ret_len, ret_omitted);
}
