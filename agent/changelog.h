/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

/*
 * The guest owner's record of what the host asked: every prepare and
 * rollback request, and every request the owner's configuration refused,
 * one file each in the state directory's history/, named by a sequence
 * number (000001, ...), the last HISTORY_KEEP kept:
 *
 *   time 2026-12-05T05:10:00Z
 *   request UUID
 *   action prepare dry-run
 *   result done | failed REASON
 *   message ONE LINE
 *   files PATH... (the files the answer's diff changes)
 *   commands NAME; NAME... (the commands the answer says ran)
 *   (a blank line, then the answer's whole output: the diffs and the commands)
 */
#define HISTORY_DIR "history"
#define HISTORY_KEEP 64
#define HISTORY_ENTRY_MAX (64u << 10)

struct history_entry {
        const char *request;   /* the request id */
        const char *action;    /* "prepare", "prepare dry-run", "rollback", ... */
        const char *result;    /* "done", or "failed REASON" */
        const char *message;   /* one line */
        const char *output;    /* the answer's output, may be NULL */
        size_t output_len;
};

/*
 * Writes the entry (atomically, durably) into state_fd's history/ and
 * removes the oldest beyond HISTORY_KEEP; summary (may be NULL) receives
 * "files ...; commands ..." for the log line.
 */
int history_record(int state_fd, const struct history_entry *e, char *summary, size_t size);
/* One line per entry, oldest first: "SEQ TIME REQUEST ACTION RESULT: MESSAGE". */
int history_list(int state_fd, FILE *out);
/* The whole entry, named by its sequence number or its request id; -ENOENT when there is none. */
int history_show(int state_fd, const char *which, FILE *out);
