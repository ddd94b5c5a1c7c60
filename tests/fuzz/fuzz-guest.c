/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The monitor's guest reader (guest_read_from(), monitor/guest.c) over one
 * guest's xenstore tree taken from the input, then everything that shows a
 * guest: the status table, the JSON object and the metrics.
 *
 * Input: records KEY 0x01 VALUE 0x02; KEY is relative to the domain's home
 * (name, data/pvh/schema, data/pvh/checks/console/status, ...), VALUE any
 * bytes but 0x02, NUL included. A key read as a value that is only a parent
 * of others reads as empty, as in xenstore.
 *
 * Promises checked: every value the reader keeps passes its key's check;
 * the bounds hold (checks, nodes); the table is printable ASCII with the
 * verdict under VERDICT; the JSON is printable ASCII; every label value of
 * the metrics is a word of the protocol, one of the monitor's, or "other",
 * but the toolstack's name (escaped) and UUID.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fleet.h"
#include "fuzz.h"
#include "guest.h"
#include "metrics.h"
#include "render.h"
#include "util.h"

#define DOMID 7
#define HOME "/local/domain/7/"
#define RECORDS_MAX 512

struct record {
        char path[256];
        const char *val;
        size_t len;
};

struct tree {
        struct record r[RECORDS_MAX];
        size_t n;
};

static void parse(const uint8_t *data, size_t size, struct tree *t)
{
        const char *p = (const char *)data, *end = p + size;

        t->n = 0;
        while (p < end && t->n < RECORDS_MAX) {
                const char *sep = memchr(p, 1, (size_t)(end - p)), *stop;
                struct record *r = &t->r[t->n];
                size_t klen;

                if (!sep)
                        break;
                stop = memchr(sep + 1, 2, (size_t)(end - sep - 1));
                if (!stop)
                        stop = end;
                klen = (size_t)(sep - p);
                if (klen + strlen(HOME) < sizeof(r->path) && !memchr(p, 0, klen)) {
                        snprintf(r->path, sizeof(r->path), HOME "%.*s", (int)klen, p);
                        r->val = sep + 1;
                        r->len = (size_t)(stop - sep - 1);
                        t->n++;
                }
                p = stop + 1;
        }
}

/* Whether path is a parent of the record: its path then '/'. */
static bool under(const struct record *r, const char *path, size_t plen)
{
        return strncmp(r->path, path, plen) == 0 && r->path[plen] == '/';
}

static int tree_read(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len)
{
        struct tree *t = userdata;
        size_t plen = strlen(path);
        const char *val = NULL;
        size_t len = 0;
        bool found = false;
        char *v;

        for (size_t i = 0; i < t->n; i++) {
                if (streq(t->r[i].path, path)) {
                        val = t->r[i].val;
                        len = t->r[i].len;
                        found = true;
                } else if (!found && under(&t->r[i], path, plen))
                        found = true;
        }
        if (!found)
                return -ENOENT;
        *ret_len = len;
        if (len > max)
                return -E2BIG;
        v = malloc(len + 1);
        if (!v)
                return -ENOMEM;
        if (len)
                memcpy(v, val, len);
        v[len] = 0;
        *ret = v;
        return 0;
}

/* The distinct next components under path, as xs_directory returns them: one block. */
static int tree_directory(void *userdata, const char *path, char ***ret, unsigned *ret_n)
{
        struct tree *t = userdata;
        size_t plen = strlen(path), bytes = 0;
        const char *names[RECORDS_MAX];
        size_t lens[RECORDS_MAX];
        unsigned n = 0;
        bool found = false;
        char **v, *o;

        for (size_t i = 0; i < t->n; i++) {
                const char *c, *slash;
                size_t l;
                bool dup = false;

                found = found || streq(t->r[i].path, path);
                if (!under(&t->r[i], path, plen))
                        continue;
                found = true;
                c = t->r[i].path + plen + 1;
                slash = strchr(c, '/');
                l = slash ? (size_t)(slash - c) : strlen(c);
                for (unsigned k = 0; k < n && !dup; k++)
                        dup = lens[k] == l && memcmp(names[k], c, l) == 0;
                if (dup || l == 0)
                        continue;
                names[n] = c;
                lens[n++] = l;
                bytes += l + 1;
        }
        if (!found)
                return -ENOENT;
        v = malloc(sizeof(*v) * (n ? n : 1) + bytes);
        if (!v)
                return -ENOMEM;
        o = (char *)(v + (n ? n : 1));
        for (unsigned k = 0; k < n; k++) {
                v[k] = o;
                memcpy(o, names[k], lens[k]);
                o[lens[k]] = 0;
                o += lens[k] + 1;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static void check_kept(const struct gvalue *v, enum proto_key key)
{
        if (v->err == 0)
                FUZZ_ASSERT(v->val && proto_key_check(key, v->val, strlen(v->val)) == 0);
        else
                FUZZ_ASSERT(!v->val &&
                           (v->err == GV_ABSENT || (v->err < 0 && v->err > -_PROTO_E_MAX)));
}

static void check_reader(const struct guest *g)
{
        for (int f = 0; f < _GF_MAX; f++)
                check_kept(&g->f[f], guest_field_key(f));
        FUZZ_ASSERT(g->n_checks <= PROTO_CHECKS_MAX);
        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];

                FUZZ_ASSERT(!c->id[0] || proto_value_check(PROTO_T_CHECK_ID, c->id, strlen(c->id),
                                                          PROTO_CHECK_ID_MAX) == 0);
                FUZZ_ASSERT(c->status == GV_ABSENT ||
                           (c->status > -_PROTO_E_MAX && c->status < _PROTO_STATUS_MAX));
                check_kept(&c->reason, PROTO_KEY_CHECK_REASON);
                check_kept(&c->fix, PROTO_KEY_CHECK_FIX);
        }
        if (g->last.state.err == 0)
                FUZZ_ASSERT(proto_state_from_string(g->last.state.val, strlen(g->last.state.val)) >=
                           0);
        check_kept(&g->last.action, PROTO_KEY_ANSWER_ACTION);
        check_kept(&g->last.message, PROTO_KEY_ANSWER_MESSAGE);
}

static bool printable(const char *s, size_t len, bool newlines)
{
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 0x20 && s[i] < 0x7f) || (newlines && s[i] == '\n')))
                        return false;
        return true;
}

/* Whole, and fitted to a narrow terminal: the verdict is never cut nor moved out of its column. */
static void check_table(const struct guest *g, unsigned width)
{
        const struct render_opts o = { .width = width };
        char *out = NULL, *row;
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);
        const char *verdict = guest_verdict_word(g), *col;

        FUZZ_ASSERT(m);
        FUZZ_ASSERT(render_table(m, g, 1, &o) == 0);
        FUZZ_ASSERT(fclose(m) == 0);
        FUZZ_ASSERT(printable(out, len, true));
        row = strchr(out, '\n');
        col = strstr(out, "VERDICT");
        FUZZ_ASSERT(row && col && col < row);
        row++;
        /* Escaped, the verdict word is itself (it is a word); it starts under the title. */
        FUZZ_ASSERT(strlen(row) > (size_t)(col - out));
        if (printable(verdict, strlen(verdict), false) && !strchr(verdict, '\\'))
                FUZZ_ASSERT(strncmp(row + (col - out), verdict, strlen(verdict)) == 0);
        free(out);
}

static void check_json(const struct guest *g)
{
        char *out = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);

        FUZZ_ASSERT(m);
        render_guest_json(m, g);
        FUZZ_ASSERT(fclose(m) == 0);
        FUZZ_ASSERT(len >= 2 && out[0] == '{' && out[len - 1] == '}');
        FUZZ_ASSERT(printable(out, len, false));
        free(out);
}

/* The vocabularies of the labels a guest chooses (monitor/metrics.c's). */
static const char *const arch_words[] = { "x86_64", "i386", "i486", "i586", "i686", NULL };
static const char *const os_words[] = {
        "debian", "ubuntu", "devuan", "linuxmint", "raspbian", "centos", "rhel", "almalinux", "rocky", "ol",
        "fedora", "amzn", "opensuse-leap", "opensuse-tumbleweed", "sles", "sled", "arch", "manjaro", "gentoo",
        "nixos", "alpine", "void", "slackware", NULL,
};

static bool in_words(const char *v, size_t len, const char *const *words)
{
        for (; *words; words++)
                if (strlen(*words) == len && memcmp(*words, v, len) == 0)
                        return true;
        return false;
}

static bool known_label(const char *name, const char *v, size_t len)
{
        static const char *const ours[] = { "none", "invalid", "incompatible", "missing", "other" };

        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
                if (strlen(ours[i]) == len && memcmp(ours[i], v, len) == 0)
                        return true;
        if (streq(name, "guest_type"))
                return proto_guest_type_from_string(v, len) >= 0;
        if (streq(name, "verdict"))
                return proto_verdict_from_string(v, len) >= 0;
        if (streq(name, "check"))
                return proto_check_from_string(v, len) >= 0;
        /* The toolstack's, escaped: printable already checked; a UUID or nothing. */
        if (streq(name, "name"))
                return len <= 2 * 128;
        if (streq(name, "uuid"))
                return len == 0 || proto_uuid_decode(v, len, &(struct proto_uuid){}) == 0;
        if (streq(name, "arch"))
                return in_words(v, len, arch_words);
        if (streq(name, "os"))
                return in_words(v, len, os_words);
        return false;
}

/* Every label="value" of every sample. */
static void check_metrics(struct guest *g)
{
        struct fleet_entry e = { .domid = DOMID, .g = *g };
        struct fleet fl = { .e = &e, .n = 1 };
        char *out = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);

        FUZZ_ASSERT(m);
        metrics_fleet(m, &fl);
        FUZZ_ASSERT(metrics_guests(m, &fl, &(struct metrics_unanswered){ .domid = DOMID, .age = 3 }, 1) == 0);
        FUZZ_ASSERT(fclose(m) == 0);
        FUZZ_ASSERT(printable(out, len, true));
        for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                char *p = line[0] == '#' ? NULL : strchr(line, '{');

                nl = strchr(line, '\n');

                while (p && (!nl || p < nl)) {
                        char *eq = strchr(p + 1, '='), *q, name[32];

                        FUZZ_ASSERT(eq && eq[1] == '"');
                        /* The closing quote: a backslash escapes the next character. */
                        for (q = eq + 2; *q && *q != '"'; q++)
                                if (*q == '\\' && q[1])
                                        q++;
                        FUZZ_ASSERT(q && (size_t)(eq - p - 1) < sizeof(name));
                        snprintf(name, sizeof(name), "%.*s", (int)(eq - p - 1), p + 1);
                        FUZZ_ASSERT(known_label(name, eq + 2, (size_t)(q - eq - 2)));
                        p = q[1] == ',' ? q + 1 : NULL;
                }
        }
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct tree t;
        struct guest_source src = { tree_read, tree_directory, &t };
        struct guest g;
        static const unsigned flag_sets[] = { 0, GUEST_READ_REASONS | GUEST_READ_FIXES, GUEST_READ_SUMMARY };

        parse(data, size, &t);
        for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
                FUZZ_ASSERT(guest_read_from(&src, DOMID, flag_sets[i], &g) == 0);
                FUZZ_ASSERT(g.domid == DOMID);
                check_reader(&g);
                check_table(&g, 0);
                check_table(&g, 60);
                check_json(&g);
                check_metrics(&g);
                guest_done(&g);
        }
        return 0;
}
