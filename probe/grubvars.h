/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The settings grub-mkconfig sees after sourcing /etc/default/grub and
 * /etc/default/grub.d/NAME.cfg: a small evaluator of shell assignments.
 * It understands NAME=value with '...', "...", $NAME and ${NAME}, and
 * "export", and an if (with elif, else) whose conditions are string tests
 * `[ WORD = WORD ]` joined by && on its own line ending in "; then" (the
 * guards prepare's drop-in writes): the branch the shell would run is
 * evaluated, the others skipped. For anything else that touches a watched
 * variable (command substitution, other conditions, case/for, code it cannot
 * follow), the variable is marked unknown, with the file and line, and never
 * guessed.
 */
struct grubvar {
        char *name;
        char *value;              /* NULL when unknown */
        char *where;              /* FILE:LINE of the last assignment */
};

struct grubvars {
        struct grubvar *v;
        size_t n;
};

/* Evaluates one file's text on top of what vars hold already. */
int grubvars_eval(struct grubvars *vars, const char *file, const char *text);
/* The variable, or NULL when never set. */
const struct grubvar *grubvars_get(const struct grubvars *vars, const char *name);
void grubvars_done(struct grubvars *vars);
/* Quotes a value for sh: '...' with ' written as '\''. */
char *grubvars_quote(const char *value);
