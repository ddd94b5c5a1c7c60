/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "guest.h"

/*
 * Everything a guest wrote passes through here before it reaches a terminal
 * or a JSON document: nothing from a guest is printed raw.
 */

enum render_color {
        RENDER_COLOR_AUTO,
        RENDER_COLOR_ALWAYS,
        RENDER_COLOR_NEVER,
};

int render_color_from_string(const char *s, enum render_color *ret);
bool render_use_color(enum render_color mode, int fd);

/*
 * Terminal-safe text: printable ASCII and valid, allowed UTF-8 characters
 * as they are; backslash, controls and every other byte as \\, \n, \t, \xNN.
 */
char *render_escape(const char *s, size_t len);
/*
 * Printable ASCII: as the table shows a cell, so that it lines up in a column
 * on any terminal (\uXXXX beyond ASCII, \xNN for an invalid byte).
 */
char *render_ascii(const char *s);
/* JSON string literal, ASCII only (\uXXXX beyond; invalid bytes as U+FFFD). */
void render_json_string(FILE *f, const char *s, size_t len);
void render_json_cstr(FILE *f, const char *s);

struct render_opts {
        bool color;
        unsigned width; /* the terminal's columns; 0: no limit */
};

/*
 * The status table of n guests, as wide as o->width allows: names and
 * verdicts are never cut; other cells are cut (ending with "~"), then the
 * least needed columns hidden, until it fits.
 */
int render_table(FILE *f, const struct guest *g, unsigned n, const struct render_opts *o);
/*
 * The width to fit the table to: $COLUMNS when set, else the terminal's on
 * fd, else 0 (no limit: a pipe gets every column whole).
 */
unsigned render_terminal_width(int fd);

/* One line: how many guests, by verdict, and how many whose next boot fails. */
void render_summary(FILE *f, const struct guest *g, unsigned n);

enum render_sort {
        RENDER_SORT_DOMID,
        RENDER_SORT_NAME,
        RENDER_SORT_TYPE,
        RENDER_SORT_ARCH,
        RENDER_SORT_KERNEL,
        RENDER_SORT_OS,
        RENDER_SORT_VERDICT, /* blocked, unknown, invalid, ..., fixable, ready, none */
        RENDER_SORT_RISK,    /* next boot fails, warnings, none */
        RENDER_SORT_AGENT,
        _RENDER_SORT_MAX,
};

int render_sort_from_string(const char *s, enum render_sort *ret);
/* Sorts by key, then by domid (guests without the value last). */
void render_sort(struct guest *g, unsigned n, enum render_sort key);
/* One guest as a JSON object (no newline). */
void render_guest_json(FILE *f, const struct guest *g);
/*
 * full: as render_guest_json(), each check with its status, reason and fix
 * under "checks"; else without "checks" (the failing ones stay, in
 * "failing"): what status --json shows without --full.
 */
void render_guest_json_shape(FILE *f, const struct guest *g, bool full);
/* A trial boot as JSON: {"outcome","at","reason","predicted"}, or null when there was none. */
void render_trial_json(FILE *f, const struct gtrial *t);
