/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The specification and the code agree: every key in the code's table has
 * exactly one "#### ~/PATTERN = VALUES [TAGS]" heading in protocol/PROTOCOL.md
 * and every such heading is a key in the table, with the same bound, writer
 * and required flag; the enum values in the headings and the table of check
 * ids match the code's enums, and the disk inspection report's key table
 * matches its keys and bounds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "test-protocol.h"
#include "util.h"

#define SPEC_MAX (256 * 1024)

struct heading {
        char path[PROTO_PATH_MAX];
        char values[256];
        char tags[32];
        long bound;
};

static bool has_tag(const char *tags, char tag)
{
        for (const char *p = tags; *p; p++)
                if (*p == tag && (p == tags || p[-1] == ',') && (p[1] == ',' || p[1] == 0))
                        return true;
        return false;
}

/* Parses "#### ~/PATH = VALUES [TAGS]"; then "Bound: N bytes" from the following text. */
static bool parse_heading(const char *line, const char *rest, struct heading *h)
{
        const char *p = line + STRLEN("#### ~/"), *sp = strchr(p, ' '), *eq, *lb, *rb, *b;
        const char *end = strchr(line, '\n');
        size_t l;

        if (!sp || !end || sp > end)
                return false;
        l = (size_t)(sp - p);
        if (l >= sizeof(h->path))
                return false;
        memcpy(h->path, p, l);
        h->path[l] = 0;
        eq = strstr(sp, " = ");
        lb = memrchr(line, '[', (size_t)(end - line));
        rb = memrchr(line, ']', (size_t)(end - line));
        if (!eq || eq > end || !lb || !rb || rb < lb || eq > lb)
                return false;
        l = (size_t)(lb - (eq + 3));
        if (l >= sizeof(h->values) || (size_t)(rb - lb - 1) >= sizeof(h->tags))
                return false;
        memcpy(h->values, eq + 3, l);
        h->values[l] = 0;
        memcpy(h->tags, lb + 1, (size_t)(rb - lb - 1));
        h->tags[rb - lb - 1] = 0;

        h->bound = -1;
        b = strstr(rest, "\nBound: ");
        {
                const char *next = strstr(rest, "\n#");

                if (b && (!next || b < next))
                        h->bound = strtol(b + STRLEN("\nBound: "), NULL, 10);
        }
        return true;
}

/* The quoted words of a heading's values must be exactly the enum's strings. */
static void check_enum_values(const struct heading *h, const char *(*to)(int), int n)
{
        int found = 0;

        for (const char *p = strchr(h->values, '"'); p; p = strchr(p, '"')) {
                const char *q = strchr(p + 1, '"');
                bool known = false;

                if (!q)
                        break;
                for (int v = 0; v < n; v++)
                        if (strlen(to(v)) == (size_t)(q - p - 1) &&
                            memcmp(to(v), p + 1, (size_t)(q - p - 1)) == 0)
                                known = true;
                CHECK(known, "%s: value %.*s is in the code's enum", h->path, (int)(q - p + 1), p);
                found++;
                p = q + 1;
        }
        CHECK(found == n, "%s: %d values documented, %d in the code", h->path, found, n);
}

#define TO(name, type)                                  \
        static const char *name##_to(int v)             \
        {                                               \
                return proto_##name##_to_string((type)v); \
        }
TO(guest_type, enum proto_guest_type)
TO(verdict, enum proto_verdict)
TO(status, enum proto_status)
TO(state, enum proto_state)

static void check_heading(const struct heading *h, int *seen)
{
        const struct proto_key_info *ki = NULL;

        for (int k = 0; k < _PROTO_KEY_MAX; k++)
                if (strcmp(proto_key_info(k)->pattern, h->path) == 0)
                        ki = proto_key_info(k);
        CHECK(ki, "documented key %s is in the code's table", h->path);
        if (!ki)
                return;
        seen[ki->key]++;
        CHECK(h->bound == (long)ki->max, "%s: documented bound %ld, code %zu", h->path, h->bound,
              ki->max);
        /* The guest writes every node but the host's answers it may only read (control/pvh/switch). */
        CHECK(has_tag(h->tags, 'h') == (ki->writer == PROTO_WRITER_HOST) &&
                      (has_tag(h->tags, 'w') || ki->writer == PROTO_WRITER_HOST),
              "%s: tags [%s] match the writer (%s)", h->path, h->tags,
              ki->writer == PROTO_WRITER_HOST ? "host" : "guest");
        CHECK(has_tag(h->tags, 'r') == ki->required, "%s: tags [%s] match required=%d", h->path,
              h->tags, ki->required);

        switch (ki->type) {
        case PROTO_T_GUEST_TYPE:
                check_enum_values(h, guest_type_to, _PROTO_GUEST_MAX);
                break;
        case PROTO_T_VERDICT:
                check_enum_values(h, verdict_to, _PROTO_VERDICT_MAX);
                break;
        case PROTO_T_STATUS:
                check_enum_values(h, status_to, _PROTO_STATUS_MAX);
                break;
        case PROTO_T_STATE:
                check_enum_values(h, state_to, _PROTO_STATE_MAX);
                break;
        default:
                break;
        }
}

/* A row "| `inspect/KEY` | `TYPE` | BOUND | ..." of the inspection report's key table. */
static void check_ikey_row(const char *id, size_t len, const char *rest, int *seen)
{
        const char *bound = strstr(rest, "` | ");
        int k;

        for (k = 0; k < _PROTO_IKEY_MAX; k++)
                if (strlen(proto_ikey_info(k)->pattern) == len && memcmp(proto_ikey_info(k)->pattern, id, len) == 0)
                        break;
        CHECK(k < _PROTO_IKEY_MAX, "documented inspection key %.*s is in the code", (int)len, id);
        if (k == _PROTO_IKEY_MAX)
                return;
        seen[k]++;
        CHECK(bound && strtol(bound + 4, NULL, 10) == (long)proto_ikey_info(k)->max,
              "inspection key %s: documented bound %ld, code %zu", proto_ikey_info(k)->pattern,
              bound ? strtol(bound + 4, NULL, 10) : -1, proto_ikey_info(k)->max);
}

/*
 * Rows "| `id` | ..." of the check table, both ways against enum proto_check,
 * and rows "| `inspect/...` | ..." of the report's table against its keys.
 */
static void check_check_ids(const char *spec)
{
        int seen[_PROTO_CHECK_MAX] = {}, iseen[_PROTO_IKEY_MAX] = {};

        for (const char *p = strstr(spec, "\n| `"); p; p = strstr(p + 1, "\n| `")) {
                const char *id = p + 4, *q = strchr(id, '`');
                int r;

                if (!q)
                        break;
                if (strncmp(id, "inspect/", 8) == 0) {
                        check_ikey_row(id, (size_t)(q - id), q + 1, iseen);
                        continue;
                }
                r = proto_check_from_string(id, (size_t)(q - id));
                CHECK(r >= 0, "documented check id %.*s is in the code", (int)(q - id), id);
                if (r >= 0)
                        seen[r]++;
        }
        for (int c = 0; c < _PROTO_CHECK_MAX; c++)
                CHECK(seen[c] == 1, "check id %s is documented once (%d)", proto_check_to_string(c),
                      seen[c]);
        for (int k = 0; k < _PROTO_IKEY_MAX; k++)
                CHECK(iseen[k] == 1, "inspection key %s is documented once (%d)", proto_ikey_info(k)->pattern,
                      iseen[k]);
}

/* The code point cp as UTF-8 in buf (4 bytes); its length. */
static size_t utf8_put(uint32_t cp, char *buf)
{
        if (cp < 0x80) {
                buf[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                buf[0] = (char)(0xc0 | cp >> 6);
                buf[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                buf[0] = (char)(0xe0 | cp >> 12);
                buf[1] = (char)(0x80 | (cp >> 6 & 0x3f));
                buf[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        buf[0] = (char)(0xf0 | cp >> 18);
        buf[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        buf[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        buf[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

#define RANGES_MAX 64

/* "U+XXXX" and "U+XXXX..U+YYYY" of the paragraph starting "Forbidden: " in "### Text". */
static unsigned documented_forbidden(const char *spec, uint32_t (*ret)[2])
{
        const char *text = strstr(spec, "\n### Text\n"), *p, *end;
        unsigned n = 0;

        p = text ? strstr(text, "\nForbidden: ") : NULL;
        end = p ? strstr(p + 1, "\n\n") : NULL;
        if (!p || !end)
                return 0;
        while ((p = strstr(p, "U+")) && p < end && n < RANGES_MAX) {
                char *q;

                ret[n][0] = ret[n][1] = (uint32_t)strtoul(p + 2, &q, 16);
                if (strncmp(q, "..U+", 4) == 0)
                        ret[n][1] = (uint32_t)strtoul(q + 4, &q, 16);
                n++;
                p = q;
        }
        return n;
}

/*
 * Every code point both ways: TEXT refuses one as a control character
 * exactly when rule 2's controls or the list in "Text" name it.
 */
static void check_text_characters(const char *spec)
{
        uint32_t ranges[RANGES_MAX][2];
        unsigned n = documented_forbidden(spec, ranges), wrong = 0;

        CHECK(n > 0, "\"Text\" lists %u forbidden ranges", n);
        for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
                char buf[8] = "a";
                size_t len = 1 + utf8_put(cp, buf + 1);
                bool forbidden = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
                int r;

                if (cp >= 0xd800 && cp <= 0xdfff)
                        continue;
                for (unsigned i = 0; i < n; i++)
                        forbidden = forbidden || (cp >= ranges[i][0] && cp <= ranges[i][1]);
                r = proto_value_check(PROTO_T_TEXT, buf, len, 16);
                if ((r == -PROTO_E_CONTROL) != forbidden && wrong++ < 10)
                        CHECK(false, "U+%04X: documented %s, the code says %s", cp,
                              forbidden ? "forbidden" : "allowed", proto_error_name(-r));
        }
        CHECK(wrong == 0, "every code point is refused in TEXT as documented (%u differ)", wrong);
}

/* The text under a heading (up to the next heading), or NULL. */
static const char *section(const char *spec, const char *heading, size_t *ret_len)
{
        const char *p = strstr(spec, heading), *end;

        if (!p)
                return NULL;
        end = strstr(p + strlen(heading), "\n#");
        *ret_len = end ? (size_t)(end - p) : strlen(p);
        return p;
}

static bool has_word(const char *text, size_t len, const char *word)
{
        char quoted[64];

        snprintf(quoted, sizeof(quoted), "`%s`", word);
        return memmem(text, len, quoted, strlen(quoted)) != NULL;
}

/*
 * Every failure reason of the code is named in answer/$UUID/reason, and
 * every action and its "-dry-run" form in agent/actions.
 */
static void check_reasons_and_actions(const char *spec)
{
        size_t len = 0;
        const char *s = section(spec, "#### ~/data/pvh/answer/$UUID/reason", &len);

        CHECK(s, "answer/$UUID/reason has a section");
        for (int i = 0; s && i < _PROTO_REASON_MAX; i++)
                CHECK(has_word(s, len, proto_reason_to_string(i)), "reason %s is documented",
                      proto_reason_to_string(i));
        s = section(spec, "#### ~/data/pvh/agent/actions", &len);
        CHECK(s, "agent/actions has a section");
        for (int i = 0; s && i < _PROTO_ACTION_MAX; i++) {
                char dry[PROTO_WORD_MAX + 16];

                CHECK(has_word(s, len, proto_action_to_string(i)), "action %s is documented",
                      proto_action_to_string(i));
                snprintf(dry, sizeof(dry), "%s-dry-run", proto_action_to_string(i));
                CHECK(has_word(s, len, dry) == !!(proto_action_args(i) & (1u << PROTO_ARG_DRY_RUN)),
                      "%s is documented exactly when the action takes dry-run", dry);
        }
}

/* The schema the title names and the one the agent writes are the code's. */
static void check_schema_version(const char *spec)
{
        char title[64], writes[64];

        snprintf(title, sizeof(title), "# The pvh xenstore protocol, schema %s\n",
                 PROTO_SCHEMA_STRING);
        snprintf(writes, sizeof(writes), "This version writes `\"%s\"`.", PROTO_SCHEMA_STRING);
        CHECK(strncmp(spec, title, strlen(title)) == 0, "the title names schema %s",
              PROTO_SCHEMA_STRING);
        CHECK(strstr(spec, writes), "the schema key says: %s", writes);
}

int main(void)
{
        const char *top = getenv("top_srcdir");
        char path[4096];
        _cleanup_free_ char *spec = NULL;
        _cleanup_close_ int fd = -1;
        int seen[_PROTO_KEY_MAX] = {}, headings = 0, r;
        size_t len;

        snprintf(path, sizeof(path), "%s/protocol/PROTOCOL.md", top ? top : ".");
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
                return 99;
        }
        r = read_full_fd(fd, &spec, SPEC_MAX, &len);
        if (r < 0) {
                fprintf(stderr, "cannot read %s: %s\n", path, strerror(-r));
                return 99;
        }

        for (const char *p = spec; p; p = strchr(p, '\n')) {
                struct heading h;

                if (*p == '\n')
                        p++;
                if (strncmp(p, "#### ~/", 7) != 0)
                        continue;
                headings++;
                if (!parse_heading(p, strchr(p, '\n') ? strchr(p, '\n') : p, &h)) {
                        CHECK(false, "heading %.60s follows \"#### ~/PATH = VALUES [TAGS]\"", p);
                        continue;
                }
                check_heading(&h, seen);
        }
        CHECK(headings > 0, "%d key headings found in %s", headings, path);

        for (int k = 0; k < _PROTO_KEY_MAX; k++)
                CHECK(seen[k] == 1, "code key %s is documented once (%d)", proto_key_info(k)->pattern,
                      seen[k]);
        check_check_ids(spec);
        check_text_characters(spec);
        check_schema_version(spec);
        check_reasons_and_actions(spec);
        return unit_exit();
}
