/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "macro.h"
#include "policy.h"
#include "rootfs.h"
#include "util.h"

#define REPORT_ONLY_KEY "report-only"
#define COMPAT_KEY "compat"

/*
 * The actions that change the guest, each a key of the file named after it.
 * ping and probe only read, and are not keys: nothing can turn them off.
 */
static const enum proto_action changing[] = {
        PROTO_ACTION_PREPARE,
        PROTO_ACTION_ROLLBACK,
};

static const char *const grant_words[_POLICY_GRANT_MAX] = {
        [POLICY_ALLOW] = "allow",
        [POLICY_DRY_RUN] = "dry-run",
        [POLICY_DENY] = "deny",
};

const char *policy_grant_to_string(enum policy_grant g)
{
        return (unsigned)g < _POLICY_GRANT_MAX ? grant_words[g] : NULL;
}

/* FNV-1a: tells one content from another for the log, nothing more. */
static uint64_t hash_bytes(const char *s, size_t len)
{
        uint64_t h = 0xcbf29ce484222325ull;

        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
        return h;
}

void policy_default(struct policy *ret)
{
        *ret = (struct policy){ .origin = POLICY_DEFAULT };
        for (int a = 0; a < _PROTO_ACTION_MAX; a++)
                ret->grant[a] = POLICY_ALLOW;
}

static void invalid(struct policy *p, const char *fmt, ...) _printf_(2, 3);
static void invalid(struct policy *p, const char *fmt, ...)
{
        va_list ap;

        policy_default(p);
        p->origin = POLICY_INVALID;
        p->report_only = true;
        va_start(ap, fmt);
        vsnprintf(p->error, sizeof(p->error), fmt, ap);
        va_end(ap);
        p->hash = hash_bytes(p->error, strlen(p->error));
}

/* ---- the grammar ---- */

struct parse {
        struct policy *p;
        unsigned seen[ELEMENTSOF(changing) + 2]; /* the line that set each key: changing[], report-only, compat */
};

/* Index of key in seen[]: changing[] in order, then report-only, compat; -1 when unknown. */
static int key_index(const char *k, size_t n)
{
        for (size_t i = 0; i < ELEMENTSOF(changing); i++) {
                const char *name = proto_action_to_string(changing[i]);

                if (strlen(name) == n && memcmp(name, k, n) == 0)
                        return (int)i;
        }
        if (n == STRLEN(REPORT_ONLY_KEY) && memcmp(k, REPORT_ONLY_KEY, n) == 0)
                return (int)ELEMENTSOF(changing);
        if (n == STRLEN(COMPAT_KEY) && memcmp(k, COMPAT_KEY, n) == 0)
                return (int)ELEMENTSOF(changing) + 1;
        return -1;
}

static bool value_is(const char *v, size_t n, const char *w)
{
        return strlen(w) == n && memcmp(v, w, n) == 0;
}

static int set_value(struct parse *ps, unsigned line, int k, const char *v, size_t n)
{
        enum proto_action a;

        if (k == (int)ELEMENTSOF(changing) + 1) {
                if (!value_is(v, n, "none") && !value_is(v, n, "xapi")) {
                        invalid(ps->p, "line %u: compat takes none or xapi, not '%.*s'", line, (int)n, v);
                        return -EINVAL;
                }
                ps->p->compat_xapi = value_is(v, n, "xapi");
                return 0;
        }
        if (k == (int)ELEMENTSOF(changing)) {
                if (!value_is(v, n, "yes") && !value_is(v, n, "no")) {
                        invalid(ps->p, "line %u: report-only takes yes or no, not '%.*s'", line, (int)n, v);
                        return -EINVAL;
                }
                ps->p->report_only = value_is(v, n, "yes");
                return 0;
        }
        a = changing[k];
        for (int g = 0; g < _POLICY_GRANT_MAX; g++) {
                if (!value_is(v, n, grant_words[g]))
                        continue;
                if (g == POLICY_DRY_RUN && !(proto_action_args(a) & (1u << PROTO_ARG_DRY_RUN)))
                        break;
                ps->p->grant[a] = (enum policy_grant)g;
                return 0;
        }
        invalid(ps->p, "line %u: %s takes %s, not '%.*s'", line, proto_action_to_string(a),
                proto_action_args(a) & (1u << PROTO_ARG_DRY_RUN) ? "allow, dry-run or deny" : "allow or deny",
                (int)n, v);
        return -EINVAL;
}

/* One KEY = VALUE of the file (shared/conffile.h reads the lines). */
static int on_setting(unsigned line, const char *key, size_t kn, const char *v, size_t vn, void *userdata)
{
        struct parse *ps = userdata;
        int k;

        if (vn == 0 || conffile_word(v, vn) != vn) {
                invalid(ps->p, "line %u: the value of '%.*s' is not one word of lowercase letters", line,
                        (int)kn, key);
                return -EINVAL;
        }
        k = key_index(key, kn);
        if (k < 0) {
                invalid(ps->p, "line %u: unknown key '%.*s' (known: prepare, rollback, report-only, compat)", line,
                        (int)kn, key);
                return -EINVAL;
        }
        if (ps->seen[k]) {
                invalid(ps->p, "line %u: '%.*s' is set again (first on line %u)", line, (int)kn, key,
                        ps->seen[k]);
                return -EINVAL;
        }
        ps->seen[k] = line;
        return set_value(ps, line, k, v, vn);
}

int policy_parse(const char *text, size_t len, struct policy *ret)
{
        struct parse ps = { .p = ret };
        char error[POLICY_ERROR_MAX];

        policy_default(ret);
        ret->origin = POLICY_FILE;
        if (conffile_parse(text, len, on_setting, &ps, error, sizeof(error)) < 0 &&
            ret->origin != POLICY_INVALID)
                invalid(ret, "%s", error);
        /* The same bad text read again is the same problem, whatever its message. */
        ret->hash = hash_bytes(text, len);
        return ret->origin == POLICY_INVALID ? -EINVAL : 0;
}

/* ---- reading the file ---- */

static int read_path(const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = root_open_regular_at(AT_FDCWD, path, O_RDONLY);

        if (fd < 0)
                return fd;
        return read_full_fd(fd, ret, POLICY_FILE_MAX, ret_len);
}

void policy_load(int root_fd, const char *path, struct policy *ret)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = path ? read_path(path, &text, &len)
                     : root_read_file(root_fd, POLICY_PATH, POLICY_FILE_MAX, &text, &len);

        if (r == -ENOENT) {
                policy_default(ret);
                return;
        }
        if (r == -EFBIG || r == -E2BIG) {
                invalid(ret, "larger than %u KiB", POLICY_FILE_MAX >> 10);
                return;
        }
        if (r < 0) {
                invalid(ret, "cannot be read: %s", root_strerror(r));
                return;
        }
        policy_parse(text, len, ret);
}

/* ---- the choice in effect ---- */

static bool is_changing(enum proto_action a)
{
        for (size_t i = 0; i < ELEMENTSOF(changing); i++)
                if (changing[i] == a)
                        return true;
        return false;
}

enum policy_grant policy_grant(const struct policy *p, enum proto_action a)
{
        if (!is_changing(a))
                return POLICY_ALLOW;
        if (p->report_only)
                return POLICY_DENY;
        return p->grant[a];
}

void policy_actions(const struct policy *p, struct proto_actions *ret)
{
        *ret = (struct proto_actions){ 0 };
        for (int a = 0; a < _PROTO_ACTION_MAX; a++) {
                enum policy_grant g = policy_grant(p, (enum proto_action)a);

                if (g == POLICY_ALLOW)
                        ret->known |= 1u << a;
                else if (g == POLICY_DRY_RUN)
                        ret->dry_run_only |= 1u << a;
        }
}

bool policy_allows(const struct policy *p, const struct proto_request *req, const char *file,
                   char *why, size_t size)
{
        const char *name = proto_action_to_string(req->action);
        enum policy_grant g = policy_grant(p, req->action);
        bool dry_run = req->args & (1u << PROTO_ARG_DRY_RUN);

        if (g == POLICY_ALLOW || (g == POLICY_DRY_RUN && dry_run))
                return true;
        if (p->origin == POLICY_INVALID)
                snprintf(why, size, "the agent's configuration %s is not valid, so it takes no request "
                         "that changes the guest until the guest's owner fixes it; nothing was changed",
                         file);
        else if (p->report_only)
                snprintf(why, size, "the guest's owner allows reports only (report-only = yes in %s); "
                         "nothing was changed", file);
        else if (g == POLICY_DRY_RUN)
                snprintf(why, size, "the guest's owner allows %s as a dry run only (%s = dry-run in %s); "
                         "nothing was changed", name, name, file);
        else
                snprintf(why, size, "the guest's owner turned off %s requests (%s = deny in %s); nothing "
                         "was changed", name, name, file);
        return false;
}

bool policy_same(const struct policy *a, const struct policy *b)
{
        for (int k = 0; k < _PROTO_ACTION_MAX; k++)
                if (policy_grant(a, (enum proto_action)k) != policy_grant(b, (enum proto_action)k))
                        return false;
        return a->report_only == b->report_only && a->origin == b->origin &&
               a->compat_xapi == b->compat_xapi;
}

void policy_describe(const struct policy *p, char *buf, size_t size)
{
        size_t o = 0;

        if (p->report_only) {
                snprintf(buf, size, "report-only");
                return;
        }
        buf[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(changing) && o < size; i++)
                o += (size_t)snprintf(buf + o, size - o, "%s%s %s", i ? ", " : "",
                                      proto_action_to_string(changing[i]),
                                      grant_words[policy_grant(p, changing[i])]);
}
