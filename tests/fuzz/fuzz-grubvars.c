/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * grubvars_eval() over files (the input split at NUL bytes, evaluated in
 * order as grub-mkconfig sources them); then every value it knows, quoted
 * by grubvars_quote(), must read back unchanged. Build as fuzz-agent.h
 * says, with probe/grubvars.c shared/textbuf.c shared/strv.c shared/util.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz-agent.h"
#include "grubvars.h"

static void round_trip(const char *value)
{
        struct grubvars v = {};
        const struct grubvar *g;
        char *q = grubvars_quote(value), *line;

        FUZZ_CHECK(q);
        line = malloc(strlen(q) + 8);
        FUZZ_CHECK(line);
        sprintf(line, "X=%s\n", q);
        FUZZ_CHECK(grubvars_eval(&v, "q", line) == 0);
        g = grubvars_get(&v, "X");
        /* A value longer than the evaluator takes is unknown, never wrong. */
        FUZZ_CHECK(g && (!g->value || strcmp(g->value, value) == 0));
        FUZZ_CHECK(g->value || strlen(value) >= 4096 || strchr(value, '\n'));
        grubvars_done(&v);
        free(line);
        free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        struct grubvars vars = {};
        size_t off = 0;
        int file = 0;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        while (off <= size && file < 8) {
                char name[16];
                snprintf(name, sizeof(name), "f%d", file++);
                FUZZ_CHECK(grubvars_eval(&vars, name, text + off) == 0);
                off += strlen(text + off) + 1;
        }
        for (size_t i = 0; i < vars.n; i++) {
                FUZZ_CHECK(vars.v[i].name && vars.v[i].where);
                FUZZ_CHECK(grubvars_get(&vars, vars.v[i].name) == &vars.v[i]);
                if (vars.v[i].value)
                        round_trip(vars.v[i].value);
        }
        grubvars_done(&vars);
        free(text);
        return 0;
}
