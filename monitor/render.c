/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "macro.h"
#include "render.h"
#include "utf8.h"
#include "util.h"

#define CELL_WIDTH_MAX 40 /* columns of one table cell; longer text is cut with "~" */

#define COLOR_RESET "\033[0m"
#define COLOR_GREEN "\033[32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_RED "\033[31m"
#define COLOR_MAGENTA "\033[35m"
#define COLOR_DIM "\033[2m"
#define COLOR_BOLD "\033[1m"

int render_color_from_string(const char *s, enum render_color *ret)
{
        static const char *const names[] = { "auto", "always", "never" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i])) {
                        *ret = (enum render_color)i;
                        return 0;
                }
        return -EINVAL;
}

bool render_use_color(enum render_color mode, int fd)
{
        const char *term = getenv("TERM");

        switch (mode) {
        case RENDER_COLOR_ALWAYS:
                return true;
        case RENDER_COLOR_NEVER:
                return false;
        case RENDER_COLOR_AUTO:
                break;
        }
        if (getenv("NO_COLOR") || (term && streq(term, "dumb")))
                return false;
        return isatty(fd) == 1;
}

/* A valid character the protocol allows in TEXT (no C1, no bidi controls, ...): its length. */
static size_t allowed_char(const char *s, size_t len)
{
        uint32_t cp;
        int n = utf8_next(s, len, &cp);

        if (n <= 0)
                return 0;
        return proto_value_check(PROTO_T_TEXT, s, (size_t)n, 4) == 0 ? (size_t)n : 0;
}

static bool json_keep(const char *seq, size_t n)
{
        return allowed_char(seq, n) == n;
}

char *render_escape(const char *s, size_t len)
{
        char *out = malloc(len * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                unsigned char c = (unsigned char)s[i];
                size_t n;

                if (c == '\\') {
                        o = stpcpy(o, "\\\\");
                        i++;
                } else if (c >= 0x20 && c < 0x7f) {
                        *o++ = (char)c;
                        i++;
                } else if (c == '\n' || c == '\t') {
                        o = stpcpy(o, c == '\n' ? "\\n" : "\\t");
                        i++;
                } else if ((n = allowed_char(s + i, len - i)) > 0) {
                        memcpy(o, s + i, n);
                        o += n;
                        i += n;
                } else {
                        o += sprintf(o, "\\x%02x", c);
                        i++;
                }
        }
        *o = 0;
        return out;
}

void render_json_string(FILE *f, const char *s, size_t len)
{
        json_string(f, s, len, JSON_ASCII, json_keep);
}

void render_json_cstr(FILE *f, const char *s)
{
        json_cstr(f, s, JSON_ASCII, json_keep);
}

/* ---- the table ----------------------------------------------------------- */

enum column {
        COL_DOMID,
        COL_NAME,
        COL_TYPE,
        COL_KERNEL,
        COL_OS,
        COL_VERDICT,
        COL_FAILING,
        COL_AGENT,
        COL_LAST,
        _COL_MAX,
};

static const char *const column_titles[_COL_MAX] = {
        "DOMID", "NAME", "TYPE", "KERNEL", "OS", "VERDICT", "FAILING", "AGENT", "LAST-ANSWER",
};

struct cell {
        char *text;         /* printable ASCII, at most CELL_WIDTH_MAX columns */
        const char *color;  /* one of ours, or NULL */
        size_t width;
};

/* The escape of the character or byte at s: its length in buf, and how many bytes it took. */
static size_t cell_unit(const char *s, size_t len, char buf[static 16], size_t *ret_taken)
{
        unsigned char c = (unsigned char)s[0];
        uint32_t cp;
        int n;

        *ret_taken = 1;
        if (c == '\\')
                return (size_t)sprintf(buf, "\\\\");
        if (c >= 0x20 && c < 0x7f) {
                buf[0] = (char)c;
                return 1;
        }
        if (c == '\n' || c == '\t')
                return (size_t)sprintf(buf, "%s", c == '\n' ? "\\n" : "\\t");
        n = c >= 0x80 ? utf8_next(s, len, &cp) : -EILSEQ;
        if (n <= 0)
                return (size_t)sprintf(buf, "\\x%02x", c);
        *ret_taken = (size_t)n;
        return (size_t)sprintf(buf, cp > 0xffff ? "\\U%08X" : "\\u%04X", cp);
}

/*
 * A cell's text is printable ASCII, so that a byte is a column whatever a
 * terminal makes of wide, ambiguous-width, combining or invisible characters:
 * a guest's text cannot push another column out of line. Beyond ASCII, a
 * character shows as \uXXXX (\UXXXXXXXX above U+FFFF), an invalid byte as
 * \xNN. At most max columns: longer text ends with "~", never inside an escape.
 */
static char *cell_escape(const char *s, size_t len, size_t max)
{
        char *out = malloc(max + 1), unit[16];
        size_t o = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t taken, n = cell_unit(s + i, len - i, unit, &taken);
                bool last = i + taken == len;

                /* Room for the unit, and for the "~" if more follows. */
                if (o + n + (last ? 0 : 1) > max) {
                        out[o++] = '~';
                        break;
                }
                memcpy(out + o, unit, n);
                o += n;
                i += taken;
        }
        out[o] = 0;
        return out;
}

static int cell_set(struct cell *c, const char *text, const char *color)
{
        c->text = cell_escape(text, strlen(text), CELL_WIDTH_MAX);
        if (!c->text)
                return -ENOMEM;
        c->width = strlen(c->text);
        c->color = color;
        return 0;
}

static int cell_value(struct cell *c, const struct gvalue *v)
{
        char buf[64];

        if (v->err == 0)
                return cell_set(c, v->val, NULL);
        if (v->err == GV_ABSENT)
                return cell_set(c, "-", NULL);
        snprintf(buf, sizeof(buf), "invalid:%s", proto_error_name(v->err));
        return cell_set(c, buf, COLOR_MAGENTA);
}

static const char *verdict_color(const char *w)
{
        if (streq(w, "ready"))
                return COLOR_GREEN;
        if (streq(w, "fixable"))
                return COLOR_YELLOW;
        if (streq(w, "blocked"))
                return COLOR_RED;
        if (streq(w, "none"))
                return COLOR_DIM;
        return COLOR_MAGENTA;
}

static int cell_os(struct cell *c, const struct guest *g)
{
        const struct gvalue *id = &g->f[GF_OS_ID], *ver = &g->f[GF_OS_VERSION_ID];
        char buf[160];

        if (id->err == GV_ABSENT)
                return cell_value(c, &g->f[GF_OS_PRETTY_NAME]);
        if (id->err < 0 || ver->err == GV_ABSENT)
                return cell_value(c, id);
        if (ver->err < 0)
                return cell_value(c, ver);
        snprintf(buf, sizeof(buf), "%s %s", id->val, ver->val);
        return cell_set(c, buf, NULL);
}

static int cell_failing(struct cell *c, const struct guest *g)
{
        char buf[PROTO_CHECKS_MAX * (PROTO_CHECK_ID_MAX + 1) + 32] = "";
        size_t o = 0;

        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *k = &g->checks[i];

                if (k->status == PROTO_STATUS_FAIL)
                        o += (size_t)sprintf(buf + o, "%s%s", o ? "," : "", k->id);
                else if (k->status < 0 && k->status != GV_ABSENT)
                        o += (size_t)sprintf(buf + o, "%s%s", o ? "," : "", k->id[0] ? "?" : "?id");
        }
        if (g->checks_omitted)
                o += (size_t)sprintf(buf + o, "%s+%u", o ? "," : "", g->checks_omitted);
        return cell_set(c, o ? buf : "-", NULL);
}

static int cell_last(struct cell *c, const struct guest *g)
{
        char buf[96];

        if (g->f[GF_LAST_REQUEST].err == GV_ABSENT)
                return cell_set(c, "-", NULL);
        if (g->f[GF_LAST_REQUEST].err < 0)
                return cell_value(c, &g->f[GF_LAST_REQUEST]);
        if (g->last.state.err < 0)
                return cell_value(c, &g->last.state);
        snprintf(buf, sizeof(buf), "%s:%s", g->last.action.err == 0 ? g->last.action.val : "?",
                 g->last.state.val);
        return cell_set(c, buf, NULL);
}

/* The agent's version, and "report-only" when its owner allows nothing that changes the guest. */
static int cell_agent(struct cell *c, const struct guest *g)
{
        char buf[128];

        if (!guest_report_only(g))
                return cell_value(c, &g->f[GF_AGENT_VERSION]);
        snprintf(buf, sizeof(buf), "%s report-only", guest_get(g, GF_AGENT_VERSION) ?: "-");
        return cell_set(c, buf, NULL);
}

static int row_fill(struct cell *row, const struct guest *g)
{
        const char *verdict = guest_verdict_word(g);
        char domid[16];
        int r;

        snprintf(domid, sizeof(domid), "%u", g->domid);
        r = cell_set(&row[COL_DOMID], domid, NULL);
        if (r >= 0)
                r = cell_value(&row[COL_NAME], &g->name);
        if (r >= 0 && g->agent != GUEST_AGENT_OK) {
                for (int i = COL_TYPE; i < _COL_MAX && r >= 0; i++)
                        r = i == COL_VERDICT ? cell_set(&row[i], verdict, verdict_color(verdict))
                            : i == COL_AGENT ? cell_value(&row[i], &g->f[GF_AGENT_VERSION])
                                             : cell_set(&row[i], "-", NULL);
                return r;
        }
        if (r >= 0)
                r = cell_value(&row[COL_TYPE], &g->f[GF_GUEST_TYPE]);
        if (r >= 0)
                r = cell_value(&row[COL_KERNEL], &g->f[GF_KERNEL_RELEASE]);
        if (r >= 0)
                r = cell_os(&row[COL_OS], g);
        if (r >= 0)
                r = cell_set(&row[COL_VERDICT], verdict, verdict_color(verdict));
        if (r >= 0)
                r = cell_failing(&row[COL_FAILING], g);
        if (r >= 0)
                r = cell_agent(&row[COL_AGENT], g);
        if (r >= 0)
                r = cell_last(&row[COL_LAST], g);
        return r;
}

static void print_row(FILE *f, const struct cell *row, const size_t *width, bool color)
{
        for (int i = 0; i < _COL_MAX; i++) {
                bool last = i == _COL_MAX - 1;
                bool paint = color && row[i].color;

                fprintf(f, "%s%s%s", paint ? row[i].color : "", row[i].text, paint ? COLOR_RESET : "");
                if (!last)
                        fprintf(f, "%*s", (int)(width[i] - row[i].width + 2), "");
        }
        fputc('\n', f);
}

static void rows_free(struct cell *rows, size_t n)
{
        for (size_t i = 0; i < n * _COL_MAX; i++)
                free(rows[i].text);
        free(rows);
}

int render_table(FILE *f, const struct guest *g, unsigned n, bool color)
{
        struct cell *rows = calloc(((size_t)n + 1) * _COL_MAX, sizeof(*rows));
        size_t width[_COL_MAX] = {};
        int r = 0;

        if (!rows)
                return -ENOMEM;
        for (int i = 0; i < _COL_MAX && r >= 0; i++)
                r = cell_set(&rows[i], column_titles[i], color ? COLOR_BOLD : NULL);
        for (unsigned k = 0; k < n && r >= 0; k++)
                r = row_fill(rows + (k + 1) * _COL_MAX, &g[k]);
        if (r < 0) {
                rows_free(rows, n + 1);
                return r;
        }
        for (size_t k = 0; k <= n; k++)
                for (int i = 0; i < _COL_MAX; i++)
                        if (rows[k * _COL_MAX + i].width > width[i])
                                width[i] = rows[k * _COL_MAX + i].width;
        for (size_t k = 0; k <= n; k++)
                print_row(f, rows + k * _COL_MAX, width, color);
        rows_free(rows, n + 1);
        return 0;
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_invalid(FILE *f, bool *first, const char *what, const char *sub, int err)
{
        fprintf(f, "%s\"%s%s%s\":\"%s\"", *first ? "" : ",", what, sub ? "/" : "", sub ? sub : "",
                proto_error_name(err));
        *first = false;
}

/*
 * Each key once: the schema's error is the agent's too, and however many
 * check ids are malformed, they are one "checks" key (a "checks/ID" key
 * belongs to a well-formed id, which may well be "id").
 */
static void json_invalid_map(FILE *f, const struct guest *g)
{
        bool first = true, bad_ids = false;

        fputs(",\"invalid\":{", f);
        if (g->agent == GUEST_AGENT_INVALID && g->agent_err == -PROTO_E_TOO_MANY)
                json_invalid(f, &first, "nodes", NULL, g->agent_err);
        else if (g->agent == GUEST_AGENT_INVALID && g->f[GF_SCHEMA].err == 0)
                json_invalid(f, &first, "schema", NULL, g->agent_err);
        if (g->name.err < 0 && g->name.err != GV_ABSENT)
                json_invalid(f, &first, "name", NULL, g->name.err);
        for (int i = 0; i < _GF_MAX; i++)
                if (g->f[i].err < 0 && g->f[i].err != GV_ABSENT)
                        json_invalid(f, &first, guest_field_name(i), NULL, g->f[i].err);
        for (unsigned i = 0; i < g->n_checks; i++)
                bad_ids = bad_ids || !g->checks[i].id[0];
        if (bad_ids)
                json_invalid(f, &first, "checks", NULL, -PROTO_E_CHARSET);
        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];

                if (!c->id[0])
                        continue;
                if (c->status < 0 && c->status != GV_ABSENT)
                        json_invalid(f, &first, "checks", c->id, c->status);
                else if (c->reason.err < 0 && c->reason.err != GV_ABSENT)
                        json_invalid(f, &first, "checks", c->id, c->reason.err);
        }
        if (g->last.state.err < 0 && g->last.state.err != GV_ABSENT)
                json_invalid(f, &first, "last_answer", "state", g->last.state.err);
        fputc('}', f);
}

static void json_checks(FILE *f, const struct guest *g)
{
        bool first = true;

        fputs(",\"checks\":[", f);
        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];

                if (!c->id[0])
                        continue;
                fprintf(f, "%s{\"id\":", first ? "" : ",");
                render_json_cstr(f, c->id);
                fputs(",\"status\":", f);
                render_json_cstr(f, c->status >= 0 ? proto_status_to_string(c->status) : NULL);
                fputs(",\"reason\":", f);
                render_json_cstr(f, c->reason.err == 0 ? c->reason.val : NULL);
                fputc('}', f);
                first = false;
        }
        fputs("],\"failing\":[", f);
        first = true;
        for (unsigned i = 0; i < g->n_checks; i++)
                if (g->checks[i].status == PROTO_STATUS_FAIL) {
                        fputs(first ? "" : ",", f);
                        render_json_cstr(f, g->checks[i].id);
                        first = false;
                }
        fprintf(f, "],\"checks_omitted\":%u", g->checks_omitted);
}

static void json_last(FILE *f, const struct guest *g)
{
        fputs(",\"last_answer\":", f);
        if (!guest_get(g, GF_LAST_REQUEST)) {
                fputs("null", f);
                return;
        }
        fputs("{\"id\":", f);
        render_json_cstr(f, g->last.id);
        fputs(",\"action\":", f);
        render_json_cstr(f, g->last.action.err == 0 ? g->last.action.val : NULL);
        fputs(",\"state\":", f);
        render_json_cstr(f, g->last.state.err == 0 ? g->last.state.val : NULL);
        fputs(",\"reason\":", f);
        render_json_cstr(f, g->last.reason.err == 0 ? g->last.reason.val : NULL);
        fputs(",\"message\":", f);
        render_json_cstr(f, g->last.message.err == 0 ? g->last.message.val : NULL);
        fputc('}', f);
}

void render_guest_json(FILE *f, const struct guest *g)
{
        static const char *const agent_words[] = {
                [GUEST_AGENT_NONE] = "none",
                [GUEST_AGENT_OK] = "ok",
                [GUEST_AGENT_INCOMPATIBLE] = "incompatible",
                [GUEST_AGENT_INVALID] = "invalid",
        };

        fprintf(f, "{\"domid\":%u,\"name\":", g->domid);
        render_json_cstr(f, g->name.err == 0 ? g->name.val : NULL);
        fprintf(f, ",\"agent\":\"%s\",\"verdict\":", agent_words[g->agent]);
        render_json_cstr(f, guest_verdict_word(g));
        fprintf(f, ",\"report_only\":%s", guest_report_only(g) ? "true" : "false");
        for (int i = 0; i < _GF_MAX; i++) {
                if (i == GF_VERDICT)
                        continue;
                fprintf(f, ",\"%s\":", guest_field_name(i));
                render_json_cstr(f, guest_get(g, i));
        }
        json_checks(f, g);
        json_last(f, g);
        json_invalid_map(f, g);
        fputc('}', f);
}
