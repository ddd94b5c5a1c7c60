/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "trace.h"
#include "util.h"

#define NO_DOMID (~0u)

struct conn {
        uint64_t addr;
        unsigned domid;
};

struct trace_map {
        struct conn *v;
        size_t n, size;
        unsigned introducing; /* domid of the XS_INTRODUCE being handled, or NO_DOMID */
};

static struct conn *map_find(struct trace_map *m, uint64_t addr)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->v[i].addr == addr)
                        return &m->v[i];
        return NULL;
}

static int map_set(struct trace_map *m, uint64_t addr, unsigned domid)
{
        struct conn *c = map_find(m, addr);

        if (c) {
                c->domid = domid;
                return 0;
        }
        if (m->n == m->size) {
                size_t size = m->size ? m->size * 2 : 64;
                struct conn *v = realloc(m->v, size * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                m->v = v;
                m->size = size;
        }
        m->v[m->n++] = (struct conn){ .addr = addr, .domid = domid };
        return 0;
}

static void map_del(struct trace_map *m, uint64_t addr)
{
        struct conn *c = map_find(m, addr);

        if (c)
                *c = m->v[--m->n];
}

static unsigned map_domid(struct trace_map *m, uint64_t addr)
{
        struct conn *c = map_find(m, addr);

        return c ? c->domid : 0;
}

/* "IN 0xADDR YYYYMMDD HH:MM:SS TYPE (PAYLOAD)": returns whether it is one. */
static bool parse_in(const char *line, uint64_t *addr, char *type, size_t size, const char **payload)
{
        unsigned long long a;
        char t[32];
        int n = 0;

        if (sscanf(line, "IN 0x%llx %*8[0-9] %*8[0-9:] %31[A-Z_] (%n", &a, t, &n) != 2 || n == 0)
                return false;
        *addr = a;
        snprintf(type, size, "%s", t);
        *payload = line + n;
        return true;
}

static void handle_line(struct trace_map *m, const char *line, bool count, unsigned domid,
                        uint64_t *total)
{
        unsigned long long a;
        const char *payload;
        uint64_t addr;
        char type[32];
        unsigned d;

        if (streq(line, "***")) {
                /* A new xenstored: addresses mean nothing any more. */
                m->n = 0;
                m->introducing = NO_DOMID;
        } else if (parse_in(line, &addr, type, sizeof(type), &payload)) {
                m->introducing = NO_DOMID;
                if (streq(type, "INTRODUCE") && sscanf(payload, "%u ", &d) == 1)
                        m->introducing = d;
                if (count && map_domid(m, addr) == domid)
                        (*total)++;
        } else if (startswith(line, "OUT ")) {
                m->introducing = NO_DOMID;
        } else if (sscanf(line, "CREATE connection 0x%llx", &a) == 1) {
                (void)map_set(m, a, m->introducing == NO_DOMID ? 0 : m->introducing);
                m->introducing = NO_DOMID;
        } else if (sscanf(line, "DESTROY connection 0x%llx", &a) == 1) {
                map_del(m, a);
        }
}

int trace_count(FILE *f, unsigned domid, uint64_t since, uint64_t *ret)
{
        struct trace_map m = { .introducing = NO_DOMID };
        _cleanup_free_ char *line = NULL;
        uint64_t off = 0, total = 0;
        size_t size = 0;
        ssize_t n;

        while ((n = getline(&line, &size, f)) > 0) {
                /* xenstored writes a line in pieces: the last one may not be complete yet. */
                if (line[n - 1] != '\n')
                        break;
                line[n - 1] = 0;
                handle_line(&m, line, off >= since, domid, &total);
                off += (uint64_t)n;
        }
        free(m.v);
        if (ferror(f))
                return -EIO;
        *ret = total;
        return 0;
}
