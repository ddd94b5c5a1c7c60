/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "protocol.h"

/* NUL and C0/DEL bytes, the first rule every value is held to. */
int proto_scan_bytes(const char *buf, size_t len);

/* Canonical unsigned decimal (no sign, no leading zero) <= max. */
int proto_parse_uint(const char *buf, size_t len, uint32_t max, uint32_t *ret);

/* A token of the given type (PROTO_T_ACTION, _REASON, _CHECK_ID, _WORD). */
int proto_token_check(enum proto_type type, const char *buf, size_t len, size_t max);
