/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grubvars.h"
#include "macro.h"
#include "strv.h"
#include "textbuf.h"
#include "util.h"

#define VALUE_MAX 4096u

/* Variables whose value prepare depends on: any code near them that we cannot follow makes them unknown. */
static const char *const watched[] = { "GRUB_CMDLINE_LINUX", "GRUB_TERMINAL", "GRUB_SERIAL_COMMAND",
                                       "GRUB_ENABLE_BLSCFG" };

const struct grubvar *grubvars_get(const struct grubvars *vars, const char *name)
{
        for (size_t i = 0; i < vars->n; i++)
                if (streq(vars->v[i].name, name))
                        return &vars->v[i];
        return NULL;
}

static int set_var(struct grubvars *vars, const char *name, size_t nlen, char *value, const char *where)
{
        struct grubvar *g = NULL, *nv;
        char *w = strdup(where);

        if (!w) {
                free(value);
                return -ENOMEM;
        }
        for (size_t i = 0; i < vars->n && !g; i++)
                if (strlen(vars->v[i].name) == nlen && strncmp(vars->v[i].name, name, nlen) == 0)
                        g = &vars->v[i];
        if (!g) {
                nv = realloc(vars->v, (vars->n + 1) * sizeof(*nv));
                if (!nv || !(nv[vars->n].name = strndup(name, nlen))) {
                        if (nv)
                                vars->v = nv;
                        free(value);
                        free(w);
                        return -ENOMEM;
                }
                vars->v = nv;
                g = &nv[vars->n++];
                g->value = g->where = NULL;
        }
        free(g->value);
        free(g->where);
        g->value = value;
        g->where = w;
        return 0;
}

static size_t name_len(const char *p)
{
        size_t n = 0;

        if (!isalpha((unsigned char)*p) && *p != '_')
                return 0;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
                n++;
        return n;
}

/* $NAME or ${NAME} at *pp; false when the reference is one we do not evaluate. */
static bool expand(const struct grubvars *vars, const char **pp, struct textbuf *out)
{
        const char *p = *pp + 1;
        bool brace = *p == '{';
        size_t n = name_len(p + brace);
        char name[128];
        const struct grubvar *g;

        if (n == 0 || n >= sizeof(name) || (brace && p[1 + n] != '}'))
                return false;
        memcpy(name, p + brace, n);
        name[n] = '\0';
        g = grubvars_get(vars, name);
        if (g && !g->value)
                return false;
        if (g)
                textbuf_puts(out, g->value);
        *pp = p + brace + n + brace;
        return true;
}

static bool parse_double(const struct grubvars *vars, const char **pp, struct textbuf *out)
{
        const char *p = *pp + 1;

        while (*p && *p != '"') {
                if (*p == '`' || (*p == '$' && p[1] == '(') || *p == '\n')
                        return false;
                if (*p == '$') {
                        if (!expand(vars, &p, out))
                                return false;
                        continue;
                }
                if (*p == '\\' && p[1] && strchr("$`\"\\", p[1])) {
                        textbuf_append(out, p + 1, 1);
                        p += 2;
                        continue;
                }
                textbuf_append(out, p++, 1);
        }
        if (*p != '"')
                return false;
        *pp = p + 1;
        return true;
}

static bool parse_single(const char **pp, struct textbuf *out)
{
        const char *p = *pp + 1, *end = strpbrk(p, "'\n");

        if (!end || *end != '\'')
                return false;
        textbuf_append(out, p, (size_t)(end - p));
        *pp = end + 1;
        return true;
}

/* One shell word at *pp, up to a blank or the end of the line; false when it is not one we evaluate. */
static bool parse_word(const struct grubvars *vars, const char **pp, struct textbuf *out)
{
        const char *p = *pp;
        bool ok = true;

        while (ok && *p && *p != '\n' && *p != ' ' && *p != '\t') {
                if (*p == '"')
                        ok = parse_double(vars, &p, out);
                else if (*p == '\'')
                        ok = parse_single(&p, out);
                else if (*p == '$' && p[1] != '(')
                        ok = expand(vars, &p, out);
                else if (*p == '\\' && p[1] && p[1] != '\n') {
                        /* \X outside quotes is X: how grubvars_quote writes a ' */
                        textbuf_append(out, p + 1, 1);
                        p += 2;
                } else if (strchr("`$;&|<>()\\", *p))
                        ok = false;
                else
                        textbuf_append(out, p++, 1);
        }
        *pp = p;
        return ok && !out->omitted && !out->oom;
}

/* A value up to the end of the word; then only blanks or a comment may follow. */
static char *parse_value(const struct grubvars *vars, const char *p)
{
        struct textbuf out;
        bool ok;

        textbuf_init(&out, VALUE_MAX);
        ok = parse_word(vars, &p, &out);
        p += strspn(p, " \t");
        if (*p && *p != '\n' && *p != '#')
                ok = false;
        if (!ok) {
                textbuf_done(&out);
                return NULL;
        }
        return out.data ? out.data : strdup("");
}

static bool mentions_watched(const char *line, size_t len)
{
        for (size_t i = 0; i < ELEMENTSOF(watched); i++) {
                size_t wl = strlen(watched[i]);
                for (size_t k = 0; k + wl <= len; k++)
                        if (memcmp(line + k, watched[i], wl) == 0)
                                return true;
        }
        return false;
}

static int compound_delta(const char *l)
{
        static const char *const open[] = { "if", "case", "for", "while", "until" };
        static const char *const close[] = { "fi", "esac", "done" };
        size_t n = strcspn(l, " \t;\n");

        for (size_t i = 0; i < ELEMENTSOF(open); i++)
                if (n == strlen(open[i]) && strncmp(l, open[i], n) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(close); i++)
                if (n == strlen(close[i]) && strncmp(l, close[i], n) == 0)
                        return -1;
        return 0;
}

/* Marks every watched variable named on the line as unknown. */
static int mark_unknown(struct grubvars *vars, const char *line, size_t len, const char *where)
{
        for (size_t i = 0; i < ELEMENTSOF(watched); i++) {
                const char *w = watched[i];
                size_t wl = strlen(w);

                for (size_t k = 0; k + wl <= len; k++) {
                        size_t n;
                        if (memcmp(line + k, w, wl) != 0)
                                continue;
                        n = name_len(line + k);
                        int r = set_var(vars, line + k, n, NULL, where);
                        if (r < 0)
                                return r;
                        k += n;
                }
        }
        return 0;
}

/* The word at l is w, followed by a blank, ';' or the end of the line (strchr finds the NUL too). */
static bool word_is(const char *l, const char *w)
{
        size_t n = strlen(w);

        return strncmp(l, w, n) == 0 && strchr(" \t;\n", l[n]);
}

/* `[ A = B ]` at *pp: 1 equal, 0 not, -1 not a test we evaluate. */
static int eval_test(const struct grubvars *vars, const char **pp)
{
        const char *p = *pp + strspn(*pp, " \t");
        struct textbuf a, b;
        int r = -1;

        textbuf_init(&a, VALUE_MAX);
        textbuf_init(&b, VALUE_MAX);
        if (p[0] != '[' || (p[1] != ' ' && p[1] != '\t'))
                goto out;
        p += 1 + strspn(p + 1, " \t");
        if (!parse_word(vars, &p, &a))
                goto out;
        p += strspn(p, " \t");
        if (p[0] != '=' || (p[1] != ' ' && p[1] != '\t'))
                goto out;
        p += 1 + strspn(p + 1, " \t");
        if (!parse_word(vars, &p, &b))
                goto out;
        p += strspn(p, " \t");
        if (*p != ']')
                goto out;
        *pp = p + 1;
        r = streq(a.data ? a.data : "", b.data ? b.data : "");
out:
        textbuf_done(&a);
        textbuf_done(&b);
        return r;
}

/* The condition of `if [ A = B ] && [ C = D ]; then`, after the if: 1 true, 0 false, -1 not evaluated. */
static int eval_condition(const struct grubvars *vars, const char *p)
{
        int result = 1;

        for (;;) {
                int r = eval_test(vars, &p);

                if (r < 0)
                        return -1;
                result = result && r;
                p += strspn(p, " \t");
                if (!startswith(p, "&&"))
                        break;
                p += 2;
        }
        if (*p != ';')
                return -1;
        p += 1 + strspn(p + 1, " \t");
        if (!word_is(p, "then"))
                return -1;
        p += 4 + strspn(p + 4, " \t");
        return *p == '\0' || *p == '\n' || *p == '#' ? result : -1;
}

enum branch {
        BRANCH_NONE,              /* not inside an if it follows */
        BRANCH_RUN,               /* in the branch the shell runs */
        BRANCH_SKIP,              /* in a branch the shell skips */
};

/* Where the evaluator is in a file. */
struct eval_state {
        int depth;                /* compound commands it does not follow */
        enum branch branch;
        bool taken;               /* a branch of the followed if ran already */
        int inner;                /* compound commands opened in a skipped branch */
};

static bool follow_elif(const struct grubvars *vars, const char *l, struct eval_state *st)
{
        int c = st->taken ? 0 : eval_condition(vars, l + 4);

        if (c < 0) {
                /* From here to its fi, code it does not follow. */
                st->branch = BRANCH_NONE;
                st->depth = 1;
                return false;
        }
        st->branch = c ? BRANCH_RUN : BRANCH_SKIP;
        st->taken = st->taken || c;
        return true;
}

/*
 * An if whose conditions are string tests it can evaluate (what prepare's
 * drop-in writes) is followed like the shell: the branch that runs is
 * evaluated, the others are skipped. True when the line is consumed here.
 */
static bool follow_if(const struct grubvars *vars, const char *l, int d, struct eval_state *st)
{
        int c;

        if (st->branch == BRANCH_NONE) {
                if (!word_is(l, "if") || (c = eval_condition(vars, l + 2)) < 0)
                        return false;
                st->branch = c ? BRANCH_RUN : BRANCH_SKIP;
                st->taken = c;
                return true;
        }
        if (st->branch == BRANCH_SKIP && st->inner > 0) {
                st->inner += d;
                return true;
        }
        if (word_is(l, "fi")) {
                st->branch = BRANCH_NONE;
                return true;
        }
        if (word_is(l, "else")) {
                st->branch = st->taken ? BRANCH_SKIP : BRANCH_RUN;
                st->taken = true;
                return true;
        }
        if (word_is(l, "elif"))
                return follow_elif(vars, l, st);
        if (st->branch == BRANCH_SKIP)
                st->inner += d > 0 ? d : 0;
        return st->branch == BRANCH_SKIP;
}

static int eval_command(struct grubvars *vars, const char *l, size_t len, bool plain, const char *where)
{
        size_t n;

        if (startswith(l, "export ")) {
                l += 7;
                len -= 7;
        }
        n = name_len(l);
        if (!plain || n == 0 || l[n] != '=')
                return mentions_watched(l, len) ? mark_unknown(vars, l, len, where) : 0;
        /* An assignment we cannot evaluate leaves the variable unknown (NULL), never stale. */
        return set_var(vars, l, n, parse_value(vars, l + n + 1), where);
}

static int eval_line(struct grubvars *vars, const char *l, struct eval_state *st, const char *where)
{
        size_t len;
        int d;

        l += strspn(l, " \t");
        len = strcspn(l, "\n");
        if (*l == '\n' || *l == '#' || *l == '\0')
                return 0;
        d = compound_delta(l);
        if (st->depth == 0 && follow_if(vars, l, d, st))
                return 0;
        st->depth += d;
        if (st->depth < 0)
                st->depth = 0;
        return eval_command(vars, l, len, d == 0 && st->depth == 0, where);
}

int grubvars_eval(struct grubvars *vars, const char *file, const char *text)
{
        struct eval_state st = {};
        int lineno = 0;

        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                char where[512];
                int r;

                snprintf(where, sizeof(where), "%s:%d", file, ++lineno);
                r = eval_line(vars, l, &st, where);
                if (r < 0)
                        return r;
                l = nl ? nl + 1 : NULL;
        }
        return 0;
}

void grubvars_done(struct grubvars *vars)
{
        for (size_t i = 0; i < vars->n; i++) {
                free(vars->v[i].name);
                free(vars->v[i].value);
                free(vars->v[i].where);
        }
        free(vars->v);
        *vars = (struct grubvars){};
}

char *grubvars_quote(const char *value)
{
        struct textbuf out;

        textbuf_init(&out, SIZE_MAX / 2);
        textbuf_puts(&out, "'");
        for (const char *p = value; *p; p++) {
                if (*p == '\'')
                        textbuf_puts(&out, "'\\''");
                else
                        textbuf_append(&out, p, 1);
        }
        textbuf_puts(&out, "'");
        return out.oom ? (textbuf_done(&out), NULL) : out.data;
}
