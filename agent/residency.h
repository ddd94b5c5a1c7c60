/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * The daemon's resident set once it is idle. Starting, probing and
 * publishing run most of the program once; an idle daemon needs a few
 * pages of it. residency_trim() drops the program's read-only file pages
 * (code and constants, clean and in the page cache) from the process, so
 * that it maps again only what it runs next, page by page (no fault-around:
 * the kernel maps 16 pages around each fault otherwise). Writable and
 * relocated (RELRO) pages are never touched: those hold state. Returns the
 * bytes dropped, or 0.
 */
size_t residency_trim(void);
