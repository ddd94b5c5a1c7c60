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
/* JSON string literal, ASCII only (\uXXXX beyond; invalid bytes as U+FFFD). */
void render_json_string(FILE *f, const char *s, size_t len);
void render_json_cstr(FILE *f, const char *s);

/* The status table of n guests. */
int render_table(FILE *f, const struct guest *g, unsigned n, bool color);
/* One guest as a JSON object (no newline). */
void render_guest_json(FILE *f, const struct guest *g);
