/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "macro.h"
#include "strv.h"
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

static bool uuid_ok(const char *s, size_t len)
{
        struct proto_uuid u;

        return proto_uuid_decode(s, len, &u) == 0;
}

/*
 * The domain's UUID: the last component of /local/domain/N/vm, which the
 * toolstack writes (libxl: /vm/UUID) in a node the guest may read but not
 * write; when that is no UUID (a toolstack that adds a suffix), VM/uuid.
 * Left empty when neither is there.
 */
static int read_uuid(const struct guest_source *s, struct guest *g)
{
        _cleanup_free_ char *vm = NULL, *u = NULL;
        char path[PROTO_DOMAIN_PATH_MAX + 8];
        const char *last;
        size_t len;
        int r;

        proto_domain_path(g->domid, "vm", path, sizeof(path));
        r = s->read(s->userdata, path, PROTO_PATH_MAX, &vm, &len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        last = memrchr(vm, '/', len);
        last = last ? last + 1 : vm;
        if (uuid_ok(last, len - (size_t)(last - vm))) {
                memcpy(g->uuid, last, PROTO_UUID_LEN);
                return 0;
        }
        if (vm[0] != '/' || memchr(vm, 0, len) || len + STRLEN("/uuid") >= sizeof(path))
                return 0;
        snprintf(path, sizeof(path), "%s/uuid", vm);
        r = s->read(s->userdata, path, PROTO_UUID_LEN, &u, &len);
        if (r == -ENOENT || r == -E2BIG || r == -EACCES)
                return 0;
        if (r < 0)
                return r;
        if (uuid_ok(u, len))
                memcpy(g->uuid, u, PROTO_UUID_LEN);
        return 0;
}

static int read_check(const struct guest_source *s, struct guest *g, const char *id, unsigned flags)
{
        struct gcheck *c = &g->checks[g->n_checks++];
        struct proto_path_args a = { .check_name = id };
        struct gvalue st = {};
        int r;

        c->status = -PROTO_E_PATH;
        c->reason.err = c->fix.err = GV_ABSENT;
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
        if (flags & GUEST_READ_REASONS) {
                g->nodes++;
                r = read_key(s, g->domid, PROTO_KEY_CHECK_REASON, &a, &c->reason);
                if (r < 0)
                        return r;
        }
        if (!(flags & GUEST_READ_FIXES))
                return 0;
        g->nodes++;
        return read_key(s, g->domid, PROTO_KEY_CHECK_FIX, &a, &c->fix);
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

/* One line of a checked summary into the guest: a field, or a check's status. */
static int summary_item(struct guest *g, const struct proto_report_item *it)
{
        struct gcheck *c;
        struct gvalue *v = it->key == PROTO_KEY_ANSWER_STATE    ? &g->last.state
                           : it->key == PROTO_KEY_ANSWER_ACTION ? &g->last.action
                           : it->key == PROTO_KEY_ANSWER_REASON ? &g->last.reason
                                                                : NULL;

        if (v) {
                memcpy(g->last.id, it->args.uuid, sizeof(g->last.id));
                v->val = strndup(it->value, it->value_len);
                v->err = v->val ? 0 : -ENOMEM;
                return v->err;
        }
        if (it->key == PROTO_KEY_CHECK_STATUS) {
                c = &g->checks[g->n_checks++];
                *c = (struct gcheck){ .reason.err = GV_ABSENT, .fix.err = GV_ABSENT };
                memcpy(c->id, it->args.check_name, it->check_len);
                c->status = proto_status_from_string(it->value, it->value_len);
                g->n_failing += c->status == PROTO_STATUS_FAIL;
                return 0;
        }
        for (int f = 0; f < _GF_MAX; f++)
                if (fields[f].key == (enum proto_key)it->key) {
                        g->f[f].val = strndup(it->value, it->value_len);
                        if (!g->f[f].val)
                                return -ENOMEM;
                        g->f[f].err = 0;
                }
        return 0;
}

/*
 * The guest from its summary: 1 when read from it (or refused: the guest
 * is then invalid, and nothing of the summary is used), 0 when there is
 * none to read (or it is of another major, which the keys tell), or a
 * xenstore error. The summary is held to every rule of the protocol before
 * any of it is used: a guest may write anything there.
 */
static int read_summary(const struct guest_source *s, struct guest *g)
{
        _cleanup_free_ char *v = NULL;
        char path[PROTO_DOMAIN_PATH_MAX];
        size_t len = 0, o = 0;
        struct proto_report_item it;
        int r;

        proto_domain_key_path(g->domid, PROTO_KEY_SUMMARY, NULL, path, sizeof(path));
        r = s->read(s->userdata, path, PROTO_SUMMARY_MAX, &v, &len);
        if (r == -ENOENT || r == -EACCES)
                return 0;
        if (r < 0 && r != -E2BIG)
                return r;
        r = r == -E2BIG ? -PROTO_E_TOO_LONG : proto_summary_check(v, len);
        if (r == -PROTO_E_INCOMPATIBLE)
                return 0;
        g->nodes = 1;
        g->summary = true;
        if (r < 0) {
                g->agent = GUEST_AGENT_INVALID;
                g->agent_err = g->summary_err = r;
                return 1;
        }
        g->agent = GUEST_AGENT_OK;
        g->checks = calloc(PROTO_CHECKS_MAX, sizeof(*g->checks));
        if (!g->checks)
                return -ENOMEM;
        while ((r = proto_summary_next(v, len, &o, &it)) > 0)
                if (it.key >= 0 && (r = summary_item(g, &it)) < 0)
                        return r;
        return r < 0 ? r : 1;
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
        if (r >= 0)
                r = read_uuid(s, ret);
        if (r < 0)
                return r;
        if ((flags & GUEST_READ_SUMMARY) && !(flags & (GUEST_READ_REASONS | GUEST_READ_FIXES))) {
                r = read_summary(s, ret);
                if (r < 0)
                        return r;
                if (r > 0)
                        return 0;
        }
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

static void ginspect_free(struct ginspect *in)
{
        if (!in)
                return;
        free(in->disks);
        free(in->failure);
        for (int k = 0; k < _PROTO_IKEY_MAX; k++)
                gvalue_done(&in->v[k]);
        for (int k = 0; k < PROTO_REPORT_NOTES_MAX; k++)
                gvalue_done(&in->notes[k]);
        free(in);
}

void guest_done(struct guest *g)
{
        gvalue_done(&g->name);
        for (int f = 0; f < _GF_MAX; f++)
                gvalue_done(&g->f[f]);
        for (unsigned i = 0; i < g->n_checks; i++) {
                gvalue_done(&g->checks[i].reason);
                gvalue_done(&g->checks[i].fix);
        }
        free(g->checks);
        ginspect_free(g->insp);
        if (g->trial)
                gtrial_done(g->trial);
        free(g->trial);
        ganswer_done(&g->last);
        *g = (struct guest){};
}

void gtrial_done(struct gtrial *t)
{
        free(t->outcome);
        free(t->reason);
        free(t->predicted);
        *t = (struct gtrial){};
}

const char *guest_get(const struct guest *g, enum guest_field f)
{
        return g->f[f].err == 0 ? g->f[f].val : NULL;
}

const char *guest_verdict_word(const struct guest *g)
{
        switch (g->agent) {
        case GUEST_AGENT_NONE:
                if (g->insp)
                        return guest_inspection_ok(g) ? g->f[GF_VERDICT].val : "error";
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

bool gcheck_is_readiness(const struct gcheck *c)
{
        return !streq(c->id, proto_check_to_string(PROTO_CHECK_NEXT_BOOT_MODE));
}

enum guest_risk guest_risk(const struct guest *g)
{
        enum guest_risk risk = GUEST_RISK_NONE;

        if (g->agent != GUEST_AGENT_OK)
                return GUEST_RISK_NONE;
        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];

                if (!gcheck_is_readiness(c) && c->status == PROTO_STATUS_FAIL)
                        return GUEST_RISK_NEXT_BOOT;
                if (c->status == PROTO_STATUS_WARN)
                        risk = GUEST_RISK_WARN;
        }
        return risk;
}

const char *guest_risk_word(enum guest_risk r)
{
        switch (r) {
        case GUEST_RISK_NONE:
                return "none";
        case GUEST_RISK_WARN:
                return "warn";
        case GUEST_RISK_NEXT_BOOT:
                break;
        }
        return "next-boot-fails";
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

/* ---- an inspection's report ---------------------------------------------- */

static int set_value(struct gvalue *v, const char *s, size_t n, unsigned *refused)
{
        if (v->err != GV_ABSENT) {
                (*refused)++; /* a key twice: the first one stands */
                return 0;
        }
        v->val = strndup(s, n);
        if (!v->val)
                return -ENOMEM;
        v->err = 0;
        return 0;
}

static struct gcheck *check_slot(struct guest *g, const char *id, size_t len)
{
        struct gcheck *c;

        for (unsigned i = 0; i < g->n_checks; i++)
                if (strlen(g->checks[i].id) == len && memcmp(g->checks[i].id, id, len) == 0)
                        return &g->checks[i];
        if (g->n_checks >= PROTO_CHECKS_MAX || len > PROTO_CHECK_ID_MAX)
                return NULL;
        c = &g->checks[g->n_checks++];
        *c = (struct gcheck){ .status = GV_ABSENT, .reason.err = GV_ABSENT, .fix.err = GV_ABSENT };
        memcpy(c->id, id, len);
        return c;
}

static int apply_check(struct guest *g, const struct proto_report_item *it)
{
        struct gcheck *c = check_slot(g, it->args.check_name, it->check_len);
        struct gvalue st = { .err = GV_ABSENT };
        int r;

        if (!c) {
                g->checks_omitted++;
                return 0;
        }
        if (it->key == PROTO_KEY_CHECK_REASON)
                return set_value(&c->reason, it->value, it->value_len, &g->insp->refused);
        if (it->key == PROTO_KEY_CHECK_FIX)
                return set_value(&c->fix, it->value, it->value_len, &g->insp->refused);
        if (c->status != GV_ABSENT) {
                g->insp->refused++;
                return 0;
        }
        r = set_value(&st, it->value, it->value_len, &g->insp->refused);
        if (r < 0)
                return r;
        c->status = proto_status_from_string(st.val, strlen(st.val));
        gvalue_done(&st);
        if (c->status == PROTO_STATUS_FAIL)
                g->n_failing++;
        return 0;
}

static int apply_line(struct guest *g, const struct proto_report_item *it)
{
        struct ginspect *in = g->insp;

        if (it->inspect && it->key == PROTO_IKEY_NOTE)
                return set_value(&in->notes[it->args.index], it->value, it->value_len, &in->refused);
        if (it->inspect)
                return set_value(&in->v[it->key], it->value, it->value_len, &in->refused);
        if (it->key == PROTO_KEY_CHECK_STATUS || it->key == PROTO_KEY_CHECK_REASON || it->key == PROTO_KEY_CHECK_FIX)
                return apply_check(g, it);
        for (int f = 0; f < _GF_MAX; f++)
                if (fields[f].key == (enum proto_key)it->key)
                        return set_value(&g->f[f], it->value, it->value_len, &in->refused);
        in->refused++;
        return 0;
}

static int apply_lines(struct guest *g, const char *report, size_t len)
{
        for (size_t o = 0; o < len;) {
                const char *nl = memchr(report + o, '\n', len - o);
                size_t l = nl ? (size_t)(nl - (report + o)) : len - o;
                struct proto_report_item it;
                int r;

                if (!nl || proto_report_decode(report + o, l, &it) < 0)
                        g->insp->refused++;
                else if ((r = apply_line(g, &it)) < 0)
                        return r;
                o += l + 1;
        }
        return 0;
}

static int inspect_init(struct guest *g, int64_t at, const char *disks, const char *failure)
{
        struct ginspect *in = calloc(1, sizeof(*in));

        if (!in)
                return -ENOMEM;
        g->insp = in;
        in->at = at;
        for (int k = 0; k < _PROTO_IKEY_MAX; k++)
                in->v[k].err = GV_ABSENT;
        for (int k = 0; k < PROTO_REPORT_NOTES_MAX; k++)
                in->notes[k].err = GV_ABSENT;
        in->disks = disks ? strdup(disks) : NULL;
        in->failure = failure ? strdup(failure) : NULL;
        if ((disks && !in->disks) || (failure && !in->failure))
                return -ENOMEM;
        g->checks = calloc(PROTO_CHECKS_MAX, sizeof(*g->checks));
        return g->checks ? 0 : -ENOMEM;
}

int guest_apply_report(struct guest *g, const char *report, size_t len, int64_t at, const char *disks,
                       const char *failure)
{
        struct ginspect *in;
        int r;

        if (g->agent != GUEST_AGENT_NONE || g->insp)
                return 0;
        r = inspect_init(g, at, disks, failure);
        if (r >= 0 && report && !failure)
                r = apply_lines(g, report, len);
        if (r < 0)
                return r;
        in = g->insp;
        if (in->failure)
                return 0;
        if (in->refused)
                in->failure = strdup_printf("the inspector's report had %u invalid line%s", in->refused,
                                            in->refused == 1 ? "" : "s");
        else if (in->v[PROTO_IKEY_ERROR].err != 0 && g->f[GF_VERDICT].err != 0)
                in->failure = strdup("the inspector's report has neither a verdict nor an error");
        else
                return 0;
        return in->failure ? 0 : -ENOMEM;
}

bool guest_inspection_ok(const struct guest *g)
{
        return g->insp && !g->insp->failure && g->insp->v[PROTO_IKEY_ERROR].err != 0 &&
               g->f[GF_VERDICT].err == 0;
}

const char *guest_inspection_failure(const struct guest *g)
{
        const struct ginspect *in = g->insp;

        if (!in || guest_inspection_ok(g))
                return "";
        if (in->failure)
                return in->failure;
        if (in->v[PROTO_IKEY_MESSAGE].err == 0)
                return in->v[PROTO_IKEY_MESSAGE].val;
        if (in->v[PROTO_IKEY_ERROR].err == 0)
                return in->v[PROTO_IKEY_ERROR].val;
        return "no verdict";
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

int guest_read_uuid(struct xstore *x, unsigned domid, char ret[static PROTO_UUID_LEN + 1])
{
        struct guest g = { .domid = domid };
        int r = read_uuid(XSTORE_SOURCE(x), &g);

        memcpy(ret, g.uuid, PROTO_UUID_LEN + 1);
        return r;
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
