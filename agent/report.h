/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "probe.h"
#include <stdio.h>


/* A line per check, then the facts and the verdict. */
int report_text(FILE *out, const struct facts *f, const struct check_result *res, enum proto_verdict v);
/* {"verdict": …, "checks": [{"id", "status", "reason", "fix"}…], "facts": {…}} */
int report_json(FILE *out, const struct facts *f, const struct check_result *res, enum proto_verdict v);
/* JSON string literal with everything escaped; invalid UTF-8 becomes U+FFFD. */
