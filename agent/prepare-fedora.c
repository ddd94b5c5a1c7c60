/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "prepare-internal.h"

int prepare_plan_fedora(const struct prepare_ctx *ctx, const struct facts *f, struct plan *p)
{
        (void)ctx;
        return prepare_plan_manual(f, p);
}
