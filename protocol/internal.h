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

/* Splits "KEY=VALUE" (no newline) into *it's value and the key's length: the rules of a report line. */
int proto_item_split(const char *line, size_t len, struct proto_report_item *it, size_t *ret_klen);
/*
 * A guest key named relative to ~/data/pvh and its value (set in *it):
 * the key from the table (it->key, -1 when the path is not one), then the
 * value against it.
 */
int proto_guest_item_decode(const char *key, size_t klen, struct proto_report_item *it);
