/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "internal.h"

static const char *const guest_types[_PROTO_GUEST_MAX] = {
        [PROTO_GUEST_PV] = "PV",
        [PROTO_GUEST_PVH] = "PVH",
        [PROTO_GUEST_HVM] = "HVM",
        [PROTO_GUEST_UNKNOWN] = "unknown",
};

static const char *const verdicts[_PROTO_VERDICT_MAX] = {
        [PROTO_VERDICT_READY] = "ready",
        [PROTO_VERDICT_FIXABLE] = "fixable",
        [PROTO_VERDICT_BLOCKED] = "blocked",
        [PROTO_VERDICT_UNKNOWN] = "unknown",
};

static const char *const statuses[_PROTO_STATUS_MAX] = {
        [PROTO_STATUS_PASS] = "pass",
        [PROTO_STATUS_WARN] = "warn",
        [PROTO_STATUS_FAIL] = "fail",
        [PROTO_STATUS_SKIP] = "skip",
};

static const char *const states[_PROTO_STATE_MAX] = {
        [PROTO_STATE_ACCEPTED] = "accepted",
        [PROTO_STATE_RUNNING] = "running",
        [PROTO_STATE_DONE] = "done",
        [PROTO_STATE_FAILED] = "failed",
};

static const char *const actions[_PROTO_ACTION_MAX] = {
        [PROTO_ACTION_PING] = "ping",
        [PROTO_ACTION_PROBE] = "probe",
        [PROTO_ACTION_PREPARE] = "prepare",
        [PROTO_ACTION_ROLLBACK] = "rollback",
};

static const char *const reasons[_PROTO_REASON_MAX] = {
        [PROTO_REASON_MALFORMED] = "malformed",
        [PROTO_REASON_UNKNOWN_ACTION] = "unknown-action",
        [PROTO_REASON_BAD_ARGUMENT] = "bad-argument",
        [PROTO_REASON_BUSY] = "busy",
        [PROTO_REASON_DUPLICATE] = "duplicate",
        [PROTO_REASON_UNSUPPORTED] = "unsupported",
        [PROTO_REASON_INTERRUPTED] = "interrupted",
        [PROTO_REASON_REFUSED_BY_OWNER] = "refused-by-owner",
        [PROTO_REASON_ERROR] = "error",
};

static const char *const checks[_PROTO_CHECK_MAX] = {
        [PROTO_CHECK_GUEST_TYPE] = "guest_type",
        [PROTO_CHECK_NEXT_BOOT] = "next_boot",
        [PROTO_CHECK_NEXT_BOOT_MODE] = "next_boot_mode",
        [PROTO_CHECK_KERNEL_VERSION] = "kernel_version",
        [PROTO_CHECK_KERNEL_PVH] = "kernel_pvh",
        [PROTO_CHECK_KERNEL_FORMAT] = "kernel_format",
        [PROTO_CHECK_BLKFRONT] = "blkfront",
        [PROTO_CHECK_ROOT_DEVICE] = "root_device",
        [PROTO_CHECK_GRUB_MENU] = "grub_menu",
        [PROTO_CHECK_CONSOLE] = "console",
        [PROTO_CHECK_GRUB_TERMINAL] = "grub_terminal",
        [PROTO_CHECK_KERNEL_PARAMS] = "kernel_params",
        [PROTO_CHECK_PV_ROLLBACK] = "pv_rollback",
        [PROTO_CHECK_ARCH] = "arch",
};

static const char *const args[_PROTO_ARG_MAX] = {
        [PROTO_ARG_DRY_RUN] = "dry-run",
};

static const char *const switch_wants[_PROTO_SWITCH_WANT_MAX] = {
        [PROTO_SWITCH_AT_NEXT_BOOT] = "at-next-boot",
        [PROTO_SWITCH_CANCEL] = "cancel",
};

static const char *const switch_answers[_PROTO_SWITCH_ANSWER_MAX] = {
        [PROTO_SWITCH_ARMED] = "armed",
        [PROTO_SWITCH_DISARMED] = "disarmed",
        [PROTO_SWITCH_NOT_ALLOWED] = "not-allowed",
        [PROTO_SWITCH_NOT_READY] = "not-ready",
        [PROTO_SWITCH_BUSY] = "busy",
        [PROTO_SWITCH_FAILED] = "failed",
};

/* Which arguments each action accepts (1u << enum proto_arg). */
static const unsigned action_args[_PROTO_ACTION_MAX] = {
        [PROTO_ACTION_PING] = 0,
        [PROTO_ACTION_PROBE] = 0,
        [PROTO_ACTION_PREPARE] = 1u << PROTO_ARG_DRY_RUN,
        [PROTO_ACTION_ROLLBACK] = 0,
};

static int lookup(const char *const *table, size_t n, const char *buf, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(table[i]) == len && memcmp(table[i], buf, len) == 0)
                        return (int)i;
        return -PROTO_E_ENUM;
}

/*
 * An enum word: size first, then bytes, then the word's syntax, then the
 * table. Guest types are upper case ("PV") except "unknown", so words take
 * letters of both cases; tokens (actions, reasons, check ids) are stricter.
 */
static int from_string(const char *const *table, size_t n, enum proto_type type,
                       const char *buf, size_t len, size_t max)
{
        int r = proto_value_check(type, buf, len, max);

        if (r < 0)
                return r;
        return lookup(table, n, buf, len);
}

#define DEFINE_ENUM(name, type, table, vtype, max)                                   \
        const char *proto_##name##_to_string(type v)                                 \
        {                                                                             \
                return (unsigned)v < ELEMENTSOF(table) ? table[v] : NULL;             \
        }                                                                             \
        int proto_##name##_from_string(const char *buf, size_t len)                   \
        {                                                                             \
                return from_string(table, ELEMENTSOF(table), vtype, buf, len, max);   \
        }

DEFINE_ENUM(guest_type, enum proto_guest_type, guest_types, PROTO_T_WORD, PROTO_WORD_MAX)
DEFINE_ENUM(verdict, enum proto_verdict, verdicts, PROTO_T_WORD, PROTO_WORD_MAX)
DEFINE_ENUM(status, enum proto_status, statuses, PROTO_T_WORD, PROTO_WORD_MAX)
DEFINE_ENUM(state, enum proto_state, states, PROTO_T_WORD, PROTO_WORD_MAX)
DEFINE_ENUM(action, enum proto_action, actions, PROTO_T_ACTION, PROTO_WORD_MAX)
DEFINE_ENUM(reason, enum proto_reason, reasons, PROTO_T_REASON, PROTO_WORD_MAX)
DEFINE_ENUM(check, enum proto_check, checks, PROTO_T_CHECK_ID, PROTO_CHECK_ID_MAX)
DEFINE_ENUM(arg, enum proto_arg, args, PROTO_T_ACTION, PROTO_WORD_MAX)
DEFINE_ENUM(switch_want, enum proto_switch_want, switch_wants, PROTO_T_ACTION, PROTO_WORD_MAX)
DEFINE_ENUM(switch_answer, enum proto_switch_answer, switch_answers, PROTO_T_ACTION, PROTO_WORD_MAX)

bool proto_state_is_final(enum proto_state s)
{
        return s == PROTO_STATE_DONE || s == PROTO_STATE_FAILED;
}

unsigned proto_action_args(enum proto_action a)
{
        return (unsigned)a < ELEMENTSOF(action_args) ? action_args[a] : 0;
}
