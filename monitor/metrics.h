/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "fleet.h"

/* Prometheus text exposition format 0.0.4. */
void metrics_header(FILE *f, const char *name, const char *type, const char *help);
/* labels: n pairs of name, value; values are escaped (\\, \", \n). */
void metrics_sample(FILE *f, const char *name, const char *const *labels, unsigned n, int64_t v);
/* The guests' series: per guest_type and verdict, failures per check. */
void metrics_fleet(FILE *f, const struct fleet *fl);
