/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "internal.h"

static const struct {
        const char *name;
        const char *message;
} errors[_PROTO_E_MAX] = {
        [PROTO_OK] = { "ok", "Success" },
        [PROTO_E_EMPTY] = { "empty", "Value is empty" },
        [PROTO_E_TOO_LONG] = { "too-long", "Value is longer than allowed" },
        [PROTO_E_NUL] = { "nul", "Value contains a NUL byte" },
        [PROTO_E_CONTROL] = { "control", "Value contains a control character" },
        [PROTO_E_UTF8] = { "utf8", "Value is not valid UTF-8" },
        [PROTO_E_CHARSET] = { "charset", "Value contains a character not allowed here" },
        [PROTO_E_TRUNCATED] = { "truncated", "Value ends before a required part" },
        [PROTO_E_SYNTAX] = { "syntax", "Value is malformed" },
        [PROTO_E_UUID] = { "uuid", "Not a lowercase UUID" },
        [PROTO_E_NIL_UUID] = { "nil-uuid", "The nil UUID is not a valid id" },
        [PROTO_E_ENUM] = { "enum", "Unknown value" },
        [PROTO_E_NUMBER] = { "number", "Not a canonical unsigned decimal number" },
        [PROTO_E_RANGE] = { "range", "Number out of range" },
        [PROTO_E_MAC] = { "mac", "Not a lowercase MAC address" },
        [PROTO_E_ADDRESS] = { "address", "Not a canonical IP address with prefix" },
        [PROTO_E_SCHEMA] = { "schema", "Schema is not MAJOR.MINOR" },
        [PROTO_E_INCOMPATIBLE] = { "incompatible", "Schema major version not supported" },
        [PROTO_E_ACTION] = { "action", "Unknown action" },
        [PROTO_E_ARGUMENT] = { "argument", "Argument not accepted by this action" },
        [PROTO_E_DUPLICATE] = { "duplicate", "Repeated argument or token" },
        [PROTO_E_TOO_MANY] = { "too-many", "Too many arguments, tokens or entries" },
        [PROTO_E_PATH] = { "path", "Path is not part of the protocol" },
        [PROTO_E_NOSPACE] = { "nospace", "Output buffer too small" },
        [PROTO_E_CONFLICT] = { "conflict", "Parts of the value contradict each other" },
};

static int error_index(int r)
{
        if (r < 0)
                r = -r;
        return r < _PROTO_E_MAX ? r : -1;
}

const char *proto_strerror(int r)
{
        int i = error_index(r);

        return i < 0 ? "Unknown protocol error" : errors[i].message;
}

const char *proto_error_name(int r)
{
        int i = error_index(r);

        return i < 0 ? "unknown" : errors[i].name;
}
