/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "macro.h"
#include "render.h"
#include "utf8.h"
#include "util.h"

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
        COL_ARCH,
        COL_KERNEL,
        COL_OS,
        COL_VERDICT,
        COL_RISK,
        COL_FAILING,
        COL_TRIAL,
        COL_AGENT,
        COL_LAST,
        _COL_MAX,
};

static const char *const column_titles[_COL_MAX] = {
        "DOMID", "NAME", "TYPE", "ARCH", "KERNEL", "OS", "VERDICT", "RISK", "FAILING", "TRIAL", "AGENT", "LAST-ANSWER",
};

/*
 * The columns that give way when the table is wider than the terminal, the
 * first first; the others (domain, name, verdict, risk) are always shown,
 * and the name and the verdict are never cut. Before a column is hidden,
 * the cells of the shown ones are cut down to their minimum, widest first.
 */
static const enum column drop_order[] = { COL_LAST, COL_TRIAL, COL_AGENT, COL_KERNEL, COL_OS, COL_FAILING, COL_ARCH,
                                          COL_TYPE };
/* Below these, a cell says too little: the column is hidden instead. */
static const size_t min_width[_COL_MAX] = {
        [COL_DOMID] = SIZE_MAX, [COL_NAME] = SIZE_MAX, [COL_TYPE] = 7,    [COL_ARCH] = 6,
        [COL_KERNEL] = 14,      [COL_OS] = 9,          [COL_VERDICT] = SIZE_MAX, [COL_RISK] = 15,
        [COL_FAILING] = 14,     [COL_TRIAL] = 9,       [COL_AGENT] = 9,       [COL_LAST] = 12,
};
#define COLUMN_GAP 2

struct cell {
        char *raw;          /* the text, unescaped */
        char *text;         /* printable ASCII: its escape, cut to the column's width */
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
 * \xNN. At most max columns (SIZE_MAX: all of it): longer text ends with
 * "~", never inside an escape.
 */
static char *cell_escape(const char *s, size_t len, size_t max)
{
        size_t o = 0, cap = len * 10 + 1 < max ? len * 10 + 1 : max + 1;
        char *out = malloc(cap), unit[16];

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

char *render_ascii(const char *s)
{
        return cell_escape(s, strlen(s), SIZE_MAX);
}

static int cell_set(struct cell *c, const char *text, const char *color)
{
        c->raw = strdup(text);
        c->text = c->raw ? cell_escape(text, strlen(text), SIZE_MAX) : NULL;
        if (!c->text)
                return -ENOMEM;
        c->width = strlen(c->text);
        c->color = color;
        return 0;
}

/* Cuts the cell's text to max columns. */
static int cell_cut(struct cell *c, size_t max)
{
        char *t;

        if (c->width <= max)
                return 0;
        t = cell_escape(c->raw, strlen(c->raw), max);
        if (!t)
                return -ENOMEM;
        free(c->text);
        c->text = t;
        c->width = strlen(t);
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

/* The check ids whose status is want (readiness checks only), comma-separated; invalid ones as "?". */
static size_t check_list(const struct guest *g, int want, char *buf)
{
        size_t o = 0;

        buf[0] = 0;
        for (unsigned i = 0; i < g->n_checks; i++) {
                const struct gcheck *k = &g->checks[i];

                if (!gcheck_is_readiness(k))
                        continue;
                if (k->status == want)
                        o += (size_t)sprintf(buf + o, "%s%s", o ? "," : "", k->id);
                else if (want == PROTO_STATUS_FAIL && k->status < 0 && k->status != GV_ABSENT)
                        o += (size_t)sprintf(buf + o, "%s%s", o ? "," : "", k->id[0] ? "?" : "?id");
        }
        return o;
}

static int cell_failing(struct cell *c, const struct guest *g)
{
        char buf[PROTO_CHECKS_MAX * (PROTO_CHECK_ID_MAX + 1) + 32];
        size_t o = check_list(g, PROTO_STATUS_FAIL, buf);

        if (g->checks_omitted)
                o += (size_t)sprintf(buf + o, "%s+%u", o ? "," : "", g->checks_omitted);
        return cell_set(c, o ? buf : "-", NULL);
}

/* The next reboot failing in the mode the guest runs, or else the warnings. */
static int cell_risk(struct cell *c, const struct guest *g)
{
        char buf[PROTO_CHECKS_MAX * (PROTO_CHECK_ID_MAX + 1) + 8] = "warn:";

        switch (guest_risk(g)) {
        case GUEST_RISK_NEXT_BOOT:
                return cell_set(c, "next boot fails", COLOR_RED);
        case GUEST_RISK_WARN:
                check_list(g, PROTO_STATUS_WARN, buf + 5);
                return cell_set(c, buf, COLOR_YELLOW);
        case GUEST_RISK_NONE:
                break;
        }
        return cell_set(c, "-", NULL);
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

/* "5s", "3m", "2h", "4d": how long ago. */
static void age_text(int64_t at, char *buf, size_t size)
{
        int64_t s = (int64_t)time(NULL) - at;

        if (s < 0)
                s = 0;
        if (s < 120)
                snprintf(buf, size, "%llds", (long long)s);
        else if (s < 7200)
                snprintf(buf, size, "%lldm", (long long)(s / 60));
        else if (s < 172800)
                snprintf(buf, size, "%lldh", (long long)(s / 3600));
        else
                snprintf(buf, size, "%lldd", (long long)(s / 86400));
}

/*
 * A guest as its agent published it, or, without an agent, as its disks'
 * last inspection found it: then the kernel is the one it boots next, and
 * the AGENT column says it was inspected, and how long ago.
 */
static int row_data(struct cell *row, const struct guest *g, bool inspected)
{
        const char *verdict = guest_verdict_word(g);
        char age[32], agent[48];
        int r;

        r = cell_value(&row[COL_TYPE], &g->f[GF_GUEST_TYPE]);
        if (r >= 0)
                r = cell_value(&row[COL_ARCH], &g->f[GF_KERNEL_ARCH]);
        if (r >= 0)
                r = cell_value(&row[COL_KERNEL], &g->f[inspected ? GF_NEXT_BOOT_RELEASE : GF_KERNEL_RELEASE]);
        if (r >= 0)
                r = cell_os(&row[COL_OS], g);
        if (r >= 0)
                r = cell_set(&row[COL_VERDICT], verdict, verdict_color(verdict));
        if (r >= 0)
                r = cell_risk(&row[COL_RISK], g);
        if (r >= 0)
                r = cell_failing(&row[COL_FAILING], g);
        if (r < 0 || !inspected) {
                if (r >= 0)
                        r = cell_agent(&row[COL_AGENT], g);
                return r >= 0 ? cell_last(&row[COL_LAST], g) : r;
        }
        age_text(g->insp->at, age, sizeof(age));
        snprintf(agent, sizeof(agent), "inspected %s ago", age);
        r = cell_set(&row[COL_AGENT], agent, COLOR_DIM);
        return r >= 0 ? cell_set(&row[COL_LAST], "-", NULL) : r;
}


/* The outcome of the guest's newest trial boot and its age: "booted 3h", "failed 2d". */
static int cell_trial(struct cell *c, const struct guest *g)
{
        const char *o = g->trial ? g->trial->outcome : NULL;
        char age[32], buf[64];

        if (!o)
                return cell_set(c, "-", NULL);
        age_text(g->trial->at, age, sizeof(age));
        snprintf(buf, sizeof(buf), "%.16s %s", o, age);
        return cell_set(c, buf, streq(o, "booted") ? COLOR_GREEN : streq(o, "failed") ? COLOR_RED : COLOR_YELLOW);
}

static bool has_trial(const struct guest *g)
{
        return g->trial && g->trial->outcome;
}

static int row_fill(struct cell *row, const struct guest *g)
{
        const char *verdict = guest_verdict_word(g);
        bool inspected = g->agent == GUEST_AGENT_NONE && g->insp;
        char domid[16];
        int r;

        snprintf(domid, sizeof(domid), "%u", g->domid);
        r = cell_set(&row[COL_DOMID], domid, NULL);
        if (r >= 0)
                r = cell_value(&row[COL_NAME], &g->name);
        if (r >= 0)
                r = cell_trial(&row[COL_TRIAL], g);
        if (r < 0 || g->agent == GUEST_AGENT_OK || inspected)
                return r < 0 ? r : row_data(row, g, inspected);
        for (int i = COL_TYPE; i < _COL_MAX && r >= 0; i++)
                r = i == COL_TRIAL     ? 0
                    : i == COL_VERDICT ? cell_set(&row[i], verdict, verdict_color(verdict))
                    : i == COL_AGENT   ? cell_value(&row[i], &g->f[GF_AGENT_VERSION])
                                       : cell_set(&row[i], "-", NULL);
        return r;
}

struct layout {
        bool shown[_COL_MAX];
        size_t width[_COL_MAX];
};

static size_t layout_total(const struct layout *l)
{
        size_t total = 0, n = 0;

        for (int i = 0; i < _COL_MAX; i++)
                if (l->shown[i]) {
                        total += l->width[i];
                        n++;
                }
        return total + (n ? (n - 1) * COLUMN_GAP : 0);
}

/* Cuts the widest column that may be cut, one column at a time, until the table fits. */
static bool layout_shrink(struct layout *l, size_t max)
{
        for (size_t total = layout_total(l); total > max; total--) {
                int widest = -1;

                for (int i = 0; i < _COL_MAX; i++)
                        if (l->shown[i] && l->width[i] > min_width[i] &&
                            (widest < 0 || l->width[i] >= l->width[widest]))
                                widest = i;
                if (widest < 0)
                        return false;
                l->width[widest]--;
        }
        return true;
}

/*
 * The columns and their widths for a terminal of max columns (0: no limit):
 * as they are when the table fits; else cut, then hidden column by column
 * (drop_order) until it fits, or all of them hidden and the rest at their
 * minimum (the line is then longer than the terminal: the name is whole).
 * A column of natural width 0 has nothing to show: it is hidden.
 */
static void layout_fit(const size_t natural[static _COL_MAX], size_t max, struct layout *ret)
{
        for (size_t dropped = 0; dropped <= ELEMENTSOF(drop_order); dropped++) {
                for (int i = 0; i < _COL_MAX; i++) {
                        ret->shown[i] = natural[i] > 0;
                        ret->width[i] = natural[i];
                }
                for (size_t k = 0; k < dropped; k++)
                        ret->shown[drop_order[k]] = false;
                if (max == 0 || layout_shrink(ret, max))
                        return;
        }
}

static void print_row(FILE *f, const struct cell *row, const struct layout *l, bool color)
{
        int last = _COL_MAX - 1;

        while (last > 0 && !l->shown[last])
                last--;
        for (int i = 0; i <= last; i++) {
                bool paint = color && row[i].color;

                if (!l->shown[i])
                        continue;
                fprintf(f, "%s%s%s", paint ? row[i].color : "", row[i].text, paint ? COLOR_RESET : "");
                if (i != last)
                        fprintf(f, "%*s", (int)(l->width[i] - row[i].width + COLUMN_GAP), "");
        }
        fputc('\n', f);
}

static void rows_free(struct cell *rows, size_t n)
{
        for (size_t i = 0; i < n * _COL_MAX; i++) {
                free(rows[i].raw);
                free(rows[i].text);
        }
        free(rows);
}

static int rows_cut(struct cell *rows, size_t n, const struct layout *l)
{
        for (size_t k = 0; k < n; k++)
                for (int i = 0; i < _COL_MAX; i++) {
                        int r = l->shown[i] ? cell_cut(&rows[k * _COL_MAX + i], l->width[i]) : 0;

                        if (r < 0)
                                return r;
                }
        return 0;
}

int render_table(FILE *f, const struct guest *g, unsigned n, const struct render_opts *o)
{
        struct cell *rows = calloc(((size_t)n + 1) * _COL_MAX, sizeof(*rows));
        size_t natural[_COL_MAX] = {};
        bool any_trial = false;
        struct layout l;
        int r = 0;

        if (!rows)
                return -ENOMEM;
        for (int i = 0; i < _COL_MAX && r >= 0; i++)
                r = cell_set(&rows[i], column_titles[i], o->color ? COLOR_BOLD : NULL);
        for (unsigned k = 0; k < n && r >= 0; k++)
                r = row_fill(rows + (k + 1) * _COL_MAX, &g[k]);
        for (size_t k = 0; k <= n && r >= 0; k++)
                for (int i = 0; i < _COL_MAX; i++)
                        if (rows[k * _COL_MAX + i].width > natural[i])
                                natural[i] = rows[k * _COL_MAX + i].width;
        /* The trial column only where some guest had a trial boot. */
        for (unsigned k = 0; k < n && !any_trial; k++)
                any_trial = has_trial(&g[k]);
        if (!any_trial)
                natural[COL_TRIAL] = 0;
        if (r >= 0) {
                layout_fit(natural, o->width, &l);
                r = rows_cut(rows, n + 1, &l);
        }
        for (size_t k = 0; k <= n && r >= 0; k++)
                print_row(f, rows + k * _COL_MAX, &l, o->color);
        rows_free(rows, n + 1);
        return r;
}

unsigned render_terminal_width(int fd)
{
        const char *env = getenv("COLUMNS");
        struct winsize ws = {};
        unsigned w;

        if (env && safe_atou(env, &w) >= 0 && w > 0)
                return w;
        if (isatty(fd) == 1 && ioctl(fd, TIOCGWINSZ, &ws) == 0)
                return ws.ws_col;
        return 0;
}

/* ---- order ------------------------------------------------------------------ */

static const char *const sort_names[_RENDER_SORT_MAX] = {
        [RENDER_SORT_DOMID] = "domid", [RENDER_SORT_NAME] = "name",     [RENDER_SORT_TYPE] = "guest_type",
        [RENDER_SORT_ARCH] = "arch",   [RENDER_SORT_KERNEL] = "kernel", [RENDER_SORT_OS] = "os",
        [RENDER_SORT_VERDICT] = "verdict", [RENDER_SORT_RISK] = "risk", [RENDER_SORT_AGENT] = "agent",
};

int render_sort_from_string(const char *s, enum render_sort *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(sort_names); i++)
                if (streq(s, sort_names[i])) {
                        *ret = (enum render_sort)i;
                        return 0;
                }
        if (streq(s, "type")) {
                *ret = RENDER_SORT_TYPE;
                return 0;
        }
        return -EINVAL;
}

/* Worst first: a guest that needs a human before one that prepare fixes, before a ready one. */
static int verdict_rank(const struct guest *g)
{
        static const char *const order[] = { "blocked", "unknown", "invalid", "incompatible", "missing",
                                             "fixable", "ready", "none" };
        const char *w = guest_verdict_word(g);

        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (streq(w, order[i]))
                        return (int)i;
        return (int)ELEMENTSOF(order);
}

static int cmp_str(const char *a, const char *b)
{
        /* Guests without the value last. */
        if (!a || !b)
                return !a - !b;
        return strcmp(a, b);
}

static int cmp_guest(const void *pa, const void *pb, void *userdata)
{
        const struct guest *a = pa, *b = pb;
        const enum render_sort *key = userdata;
        int r = 0;

        switch (*key) {
        case RENDER_SORT_DOMID:
                break;
        case RENDER_SORT_NAME:
                r = cmp_str(guest_get_name(a), guest_get_name(b));
                break;
        case RENDER_SORT_TYPE:
                r = cmp_str(guest_get(a, GF_GUEST_TYPE), guest_get(b, GF_GUEST_TYPE));
                break;
        case RENDER_SORT_ARCH:
                r = cmp_str(guest_get(a, GF_KERNEL_ARCH), guest_get(b, GF_KERNEL_ARCH));
                break;
        case RENDER_SORT_KERNEL:
                r = cmp_str(guest_get(a, GF_KERNEL_RELEASE), guest_get(b, GF_KERNEL_RELEASE));
                break;
        case RENDER_SORT_OS:
                r = cmp_str(guest_get(a, GF_OS_ID), guest_get(b, GF_OS_ID));
                break;
        case RENDER_SORT_VERDICT:
                r = verdict_rank(a) - verdict_rank(b);
                break;
        case RENDER_SORT_RISK:
                r = (int)guest_risk(b) - (int)guest_risk(a);
                break;
        case RENDER_SORT_AGENT:
                r = cmp_str(guest_get(a, GF_AGENT_VERSION), guest_get(b, GF_AGENT_VERSION));
                break;
        case _RENDER_SORT_MAX:
                break;
        }
        return r ? r : (a->domid > b->domid) - (a->domid < b->domid);
}

void render_sort(struct guest *g, unsigned n, enum render_sort key)
{
        qsort_r(g, n, sizeof(*g), cmp_guest, &key);
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
        if (g->summary_err)
                json_invalid(f, &first, "summary", NULL, g->summary_err);
        else if (g->agent == GUEST_AGENT_INVALID && g->agent_err == -PROTO_E_TOO_MANY)
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
                else if (c->fix.err < 0 && c->fix.err != GV_ABSENT)
                        json_invalid(f, &first, "checks", c->id, c->fix.err);
        }
        if (g->last.state.err < 0 && g->last.state.err != GV_ABSENT)
                json_invalid(f, &first, "last_answer", "state", g->last.state.err);
        fputc('}', f);
}

static void json_checks(FILE *f, const struct guest *g, bool full)
{
        bool first = true;

        if (full)
                fputs(",\"checks\":[", f);
        for (unsigned i = 0; full && i < g->n_checks; i++) {
                const struct gcheck *c = &g->checks[i];

                if (!c->id[0])
                        continue;
                fprintf(f, "%s{\"id\":", first ? "" : ",");
                render_json_cstr(f, c->id);
                fputs(",\"status\":", f);
                render_json_cstr(f, c->status >= 0 ? proto_status_to_string(c->status) : NULL);
                fputs(",\"reason\":", f);
                render_json_cstr(f, c->reason.err == 0 ? c->reason.val : NULL);
                fputs(",\"fix\":", f);
                render_json_cstr(f, c->fix.err == 0 ? c->fix.val : NULL);
                fputc('}', f);
                first = false;
        }
        fputs(full ? "],\"failing\":[" : ",\"failing\":[", f);
        first = true;
        for (unsigned i = 0; i < g->n_checks; i++)
                if (g->checks[i].status == PROTO_STATUS_FAIL) {
                        fputs(first ? "" : ",", f);
                        render_json_cstr(f, g->checks[i].id);
                        first = false;
                }
        fprintf(f, "],\"checks_omitted\":%u", g->checks_omitted);
}

/* The last answer; its message (which the summary does not repeat) only in the full shape. */
static void json_last(FILE *f, const struct guest *g, bool full)
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
        if (full) {
                fputs(",\"message\":", f);
                render_json_cstr(f, g->last.message.err == 0 ? g->last.message.val : NULL);
        }
        fputc('}', f);
}

static void json_gvalue(FILE *f, const char *key, const struct gvalue *v)
{
        fprintf(f, ",\"%s\":", key);
        render_json_cstr(f, v->err == 0 ? v->val : NULL);
}

/*
 * The disks' last inspection of a guest without an agent: when, what was
 * read, and its failure; the guest's fields above come from it then.
 */
void render_trial_json(FILE *f, const struct gtrial *t)
{
        if (!t->outcome) {
                fputs("null", f);
                return;
        }
        fputs("{\"outcome\":", f);
        render_json_cstr(f, t->outcome);
        fprintf(f, ",\"at\":%lld,\"reason\":", (long long)t->at);
        render_json_cstr(f, t->reason);
        fputs(",\"predicted\":", f);
        render_json_cstr(f, t->predicted);
        fputc('}', f);
}

/* "trial": the newest trial boot, only where it was read (status). */
static void json_trial(FILE *f, const struct guest *g)
{
        if (!g->trial)
                return;
        fputs(",\"trial\":", f);
        render_trial_json(f, g->trial);
}

static void json_inspection(FILE *f, const struct guest *g)
{
        const struct ginspect *in = g->insp;
        bool first = true;

        fputs(",\"inspection\":", f);
        if (!in) {
                fputs("null", f);
                return;
        }
        fprintf(f, "{\"at\":%lld,\"age_s\":%lld,\"ok\":%s,\"disks\":", (long long)in->at,
                (long long)((int64_t)time(NULL) - in->at), guest_inspection_ok(g) ? "true" : "false");
        render_json_cstr(f, in->disks);
        fputs(",\"failure\":", f);
        render_json_cstr(f, guest_inspection_ok(g) ? NULL : guest_inspection_failure(g));
        json_gvalue(f, "error", &in->v[PROTO_IKEY_ERROR]);
        json_gvalue(f, "menu_device", &in->v[PROTO_IKEY_MENU_DEVICE]);
        json_gvalue(f, "menu_file", &in->v[PROTO_IKEY_MENU_FILE]);
        json_gvalue(f, "root_device", &in->v[PROTO_IKEY_ROOT_DEVICE]);
        json_gvalue(f, "boot_device", &in->v[PROTO_IKEY_BOOT_DEVICE]);
        json_gvalue(f, "devices", &in->v[PROTO_IKEY_DEVICES]);
        json_gvalue(f, "sandbox", &in->v[PROTO_IKEY_SANDBOX]);
        fputs(",\"notes\":[", f);
        for (int i = 0; i < PROTO_REPORT_NOTES_MAX; i++)
                if (in->notes[i].err == 0) {
                        fputs(first ? "" : ",", f);
                        render_json_cstr(f, in->notes[i].val);
                        first = false;
                }
        fprintf(f, "],\"refused\":%u}", in->refused);
}

void render_guest_json(FILE *f, const struct guest *g)
{
        render_guest_json_shape(f, g, true);
}

void render_guest_json_shape(FILE *f, const struct guest *g, bool full)
{
        static const char *const agent_words[] = {
                [GUEST_AGENT_NONE] = "none",
                [GUEST_AGENT_OK] = "ok",
                [GUEST_AGENT_INCOMPATIBLE] = "incompatible",
                [GUEST_AGENT_INVALID] = "invalid",
        };

        fprintf(f, "{\"domid\":%u,\"name\":", g->domid);
        render_json_cstr(f, g->name.err == 0 ? g->name.val : NULL);
        fputs(",\"uuid\":", f);
        render_json_cstr(f, g->uuid[0] ? g->uuid : NULL);
        fprintf(f, ",\"risk\":\"%s\"", guest_risk_word(guest_risk(g)));
        fprintf(f, ",\"agent\":\"%s\",\"source\":\"%s\",\"verdict\":", agent_words[g->agent],
                g->agent == GUEST_AGENT_OK ? "agent" : g->insp ? "inspection" : "none");
        render_json_cstr(f, guest_verdict_word(g));
        fprintf(f, ",\"report_only\":%s", guest_report_only(g) ? "true" : "false");
        for (int i = 0; i < _GF_MAX; i++) {
                if (i == GF_VERDICT)
                        continue;
                fprintf(f, ",\"%s\":", guest_field_name(i));
                render_json_cstr(f, guest_get(g, i));
        }
        json_checks(f, g, full);
        json_last(f, g, full);
        json_inspection(f, g);
        json_trial(f, g);
        json_invalid_map(f, g);
        fputc('}', f);
}

void render_summary(FILE *f, const struct guest *g, unsigned n)
{
        static const char *const words[] = { "ready", "fixable", "blocked", "unknown", "none" };
        unsigned count[ELEMENTSOF(words) + 1] = {}, next_boot = 0;

        for (unsigned i = 0; i < n; i++) {
                const char *w = guest_verdict_word(&g[i]);
                size_t k = 0;

                while (k < ELEMENTSOF(words) && !streq(w, words[k]))
                        k++;
                count[k]++;
                next_boot += guest_risk(&g[i]) == GUEST_RISK_NEXT_BOOT;
        }
        fprintf(f, "%u guest%s:", n, n == 1 ? "" : "s");
        for (size_t k = 0; k < ELEMENTSOF(words); k++)
                if (count[k])
                        fprintf(f, " %u %s,", count[k], streq(words[k], "none") ? "without agent" : words[k]);
        if (count[ELEMENTSOF(words)])
                fprintf(f, " %u other,", count[ELEMENTSOF(words)]);
        fprintf(f, " %u whose next boot fails\n", next_boot);
}
