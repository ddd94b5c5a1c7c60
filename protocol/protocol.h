/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The xenstore protocol between pvh-agent (in the guest) and pvh-monitor
 * (in dom0), version 1. protocol/PROTOCOL.md is the specification; this
 * header is its only implementation, linked by both sides.
 *
 * Conventions:
 *  - Every decoder takes (buffer, length): xenstore values are length-
 *    delimited and may hold NUL bytes. Nothing is read beyond length.
 *  - Functions return >= 0 on success and -PROTO_E_* on failure. Out-
 *    parameters come last, are named ret_*, and are untouched on failure.
 *  - No logging, no globals, no allocation, no exit.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- versions and limits ------------------------------------------------ */

#define PROTO_SCHEMA_MAJOR 1
#define PROTO_SCHEMA_MINOR 5
#define PROTO_SCHEMA_STRING "1.5"

/* Xen's own limits (xenstored): the writer stays inside, the reader refuses beyond. */
#define PROTO_XS_VALUE_MAX 2048   /* bytes in one node value */
#define PROTO_XS_PAYLOAD_MAX 4096 /* bytes in one message (XENSTORE_PAYLOAD_MAX) */
#define PROTO_XS_RELPATH_MAX 2048 /* bytes in a path relative to the domain home */

/* Our own bounds, all well inside Xen's. */
#define PROTO_PATH_MAX 128          /* a protocol path relative to the domain home, with NUL */
#define PROTO_NODES_MAX 400         /* a reader stops reading a guest beyond this many nodes */
#define PROTO_REQUEST_MAX 512       /* ~/control/pvh/request */
#define PROTO_REQUEST_ARGS_MAX 8    /* arguments in one request */
#define PROTO_TOKEN_MAX 64          /* one action or argument token */
#define PROTO_ACTIONS_MAX 16        /* tokens in agent/actions */
#define PROTO_CHECKS_MAX 32         /* entries under checks/ */
#define PROTO_NET_IF_MAX 8          /* entries under net/ */
#define PROTO_NET_IPV4_MAX 4        /* addresses per interface */
#define PROTO_NET_IPV6_MAX 8        /* addresses per interface */
#define PROTO_ANSWERS_MAX 4         /* entries under answer/ */
#define PROTO_OUTPUT_CHUNKS_MAX 8   /* answer/$UUID/output/$INDEX */
#define PROTO_OUTPUT_CHUNK_MAX 2048 /* bytes in one output chunk */
#define PROTO_COUNT_MAX 1000000     /* the "omitted" counters */
#define PROTO_UUID_LEN 36
#define PROTO_CHECK_ID_MAX 32
#define PROTO_WORD_MAX 32           /* enum words, action and reason tokens */

/* ---- errors --------------------------------------------------------------- */

enum proto_error {
        PROTO_OK = 0,
        PROTO_E_EMPTY,        /* the value is empty where a value is required */
        PROTO_E_TOO_LONG,     /* the value is longer than its bound */
        PROTO_E_NUL,          /* an embedded NUL byte */
        PROTO_E_CONTROL,      /* a control character (C0, DEL or C1) */
        PROTO_E_UTF8,         /* invalid UTF-8 */
        PROTO_E_CHARSET,      /* a character outside the value's set */
        PROTO_E_TRUNCATED,    /* the value ends before a required part */
        PROTO_E_SYNTAX,       /* malformed structure (separators, extra parts) */
        PROTO_E_UUID,         /* not a lowercase 8-4-4-4-12 UUID */
        PROTO_E_NIL_UUID,     /* the all-zero UUID where a real id is required */
        PROTO_E_ENUM,         /* well-formed, but not a value this version knows */
        PROTO_E_NUMBER,       /* not a canonical unsigned decimal */
        PROTO_E_RANGE,        /* a number outside its range */
        PROTO_E_MAC,          /* not a lowercase xx:xx:xx:xx:xx:xx address */
        PROTO_E_ADDRESS,      /* not a canonical ADDRESS/PREFIX */
        PROTO_E_SCHEMA,       /* schema not MAJOR.MINOR */
        PROTO_E_INCOMPATIBLE, /* schema major other than ours */
        PROTO_E_ACTION,       /* an action this version does not know */
        PROTO_E_ARGUMENT,     /* an argument the action does not accept */
        PROTO_E_DUPLICATE,    /* the same argument or token twice */
        PROTO_E_TOO_MANY,     /* more tokens or entries than allowed */
        PROTO_E_PATH,         /* a path that is not part of the protocol */
        PROTO_E_NOSPACE,      /* encoding: the output buffer is too small */
        PROTO_E_CONFLICT,     /* parts of one value that contradict each other */
        _PROTO_E_MAX,
};

/* A short English message for an error, given as r (negative) or as the enum. */
const char *proto_strerror(int r);
/* A stable identifier for an error, e.g. "too-long"; for logs and tests. */
const char *proto_error_name(int r);

/* ---- enums ---------------------------------------------------------------- */

enum proto_guest_type {
        PROTO_GUEST_PV,
        PROTO_GUEST_PVH,
        PROTO_GUEST_HVM,
        PROTO_GUEST_UNKNOWN,
        _PROTO_GUEST_MAX,
};

enum proto_verdict {
        PROTO_VERDICT_READY,
        PROTO_VERDICT_FIXABLE,
        PROTO_VERDICT_BLOCKED,
        PROTO_VERDICT_UNKNOWN,
        _PROTO_VERDICT_MAX,
};

enum proto_status {
        PROTO_STATUS_PASS,
        PROTO_STATUS_WARN,
        PROTO_STATUS_FAIL,
        PROTO_STATUS_SKIP,
        _PROTO_STATUS_MAX,
};

enum proto_state {
        PROTO_STATE_ACCEPTED,
        PROTO_STATE_RUNNING,
        PROTO_STATE_DONE,
        PROTO_STATE_FAILED,
        _PROTO_STATE_MAX,
};

enum proto_action {
        PROTO_ACTION_PING,
        PROTO_ACTION_PROBE,
        PROTO_ACTION_PREPARE,
        PROTO_ACTION_ROLLBACK,
        _PROTO_ACTION_MAX,
};

/* Why a request failed: answer/$UUID/reason. */
enum proto_reason {
        PROTO_REASON_MALFORMED,      /* the request did not decode */
        PROTO_REASON_UNKNOWN_ACTION, /* well-formed, action not known to this agent */
        PROTO_REASON_BAD_ARGUMENT,   /* an argument the action does not accept */
        PROTO_REASON_BUSY,           /* another request was running */
        PROTO_REASON_DUPLICATE,      /* this id was seen before; not run again */
        PROTO_REASON_UNSUPPORTED,    /* the guest cannot be changed by the agent */
        PROTO_REASON_INTERRUPTED,    /* the agent stopped while the request ran */
        PROTO_REASON_REFUSED_BY_OWNER, /* the guest's owner does not allow it (1.3) */
        PROTO_REASON_ERROR,          /* the action ran and failed */
        _PROTO_REASON_MAX,
};

/* Readiness checks, with their stable ids (see PROTOCOL.md, "Checks"). */
enum proto_check {
        PROTO_CHECK_GUEST_TYPE,
        PROTO_CHECK_NEXT_BOOT,
        PROTO_CHECK_NEXT_BOOT_MODE, /* since 1.2; outside the verdict */
        PROTO_CHECK_KERNEL_VERSION,
        PROTO_CHECK_KERNEL_PVH,
        PROTO_CHECK_KERNEL_FORMAT,
        PROTO_CHECK_BLKFRONT,
        PROTO_CHECK_ROOT_DEVICE,
        PROTO_CHECK_GRUB_MENU,
        PROTO_CHECK_CONSOLE,
        PROTO_CHECK_GRUB_TERMINAL,
        PROTO_CHECK_KERNEL_PARAMS,
        PROTO_CHECK_PV_ROLLBACK,
        PROTO_CHECK_ARCH,
        _PROTO_CHECK_MAX,
};

/* Request arguments known to v1, as a bit mask (1u << enum proto_arg). */
enum proto_arg {
        PROTO_ARG_DRY_RUN,
        _PROTO_ARG_MAX,
};

/*
 * to_string returns NULL for an out-of-range value. from_string returns the
 * value (>= 0), -PROTO_E_ENUM for a well-formed word this version does not
 * know, or the error of the first rule the word breaks.
 */
const char *proto_guest_type_to_string(enum proto_guest_type v);
int proto_guest_type_from_string(const char *buf, size_t len);
const char *proto_verdict_to_string(enum proto_verdict v);
int proto_verdict_from_string(const char *buf, size_t len);
const char *proto_status_to_string(enum proto_status v);
int proto_status_from_string(const char *buf, size_t len);
const char *proto_state_to_string(enum proto_state v);
int proto_state_from_string(const char *buf, size_t len);
const char *proto_action_to_string(enum proto_action v);
int proto_action_from_string(const char *buf, size_t len);
const char *proto_reason_to_string(enum proto_reason v);
int proto_reason_from_string(const char *buf, size_t len);
const char *proto_check_to_string(enum proto_check v);
int proto_check_from_string(const char *buf, size_t len);
const char *proto_arg_to_string(enum proto_arg v);
int proto_arg_from_string(const char *buf, size_t len);

/* Terminal states never change again. */
bool proto_state_is_final(enum proto_state s);
/* Mask of the arguments an action accepts. */
unsigned proto_action_args(enum proto_action a);

/* ---- value types ------------------------------------------------------------ */

enum proto_type {
        PROTO_T_SCHEMA,     /* MAJOR.MINOR */
        PROTO_T_VERSION,    /* [A-Za-z0-9.+~_-], 1..64 */
        PROTO_T_ACTIONS,    /* action tokens, single spaces */
        PROTO_T_UUID,       /* lowercase 8-4-4-4-12, not nil */
        PROTO_T_ANSWER_ID,  /* a UUID, nil allowed (answers to requests without a valid id) */
        PROTO_T_GUEST_TYPE, /* enum */
        PROTO_T_RELEASE,    /* printable ASCII without space, 1..64 */
        PROTO_T_ARCH,       /* [a-z0-9_], 1..32 */
        PROTO_T_OS_ID,      /* [a-z0-9._-], 1..64 */
        PROTO_T_OS_VERSION, /* [A-Za-z0-9._~+-], 1..64 */
        PROTO_T_TEXT,       /* UTF-8, one line, no control characters */
        PROTO_T_BLOCK,      /* UTF-8, lines: like TEXT, plus tab and newline */
        PROTO_T_FILE_PATH,  /* TEXT starting with '/' */
        PROTO_T_VERDICT,    /* enum */
        PROTO_T_STATUS,     /* enum */
        PROTO_T_STATE,      /* enum */
        PROTO_T_ACTION,     /* [a-z][a-z0-9-]*, 1..32 (well-formed; may be unknown) */
        PROTO_T_REASON,     /* like ACTION */
        PROTO_T_IFNAME,     /* printable ASCII without space, '/', ':'; 1..15 */
        PROTO_T_MAC,        /* lowercase xx:xx:xx:xx:xx:xx */
        PROTO_T_COUNT,      /* unsigned decimal, 0..PROTO_COUNT_MAX */
        PROTO_T_VIF,        /* unsigned decimal, 0..65535 */
        PROTO_T_IPV4,       /* canonical dotted quad "/" 0..32 */
        PROTO_T_IPV6,       /* canonical RFC 5952 text "/" 0..128 */
        PROTO_T_REQUEST,    /* "" or UUID ACTION [ARG...] */
        PROTO_T_WORD,       /* [A-Za-z][A-Za-z0-9_-]*: the syntax of enum words */
        PROTO_T_CHECK_ID,   /* [a-z][a-z0-9_]*, 1..32 */
        PROTO_T_SUMMARY,    /* KEY "=" VALUE "\n" lines (schema 1.4): see proto_summary_check() */
        PROTO_T_SWITCH_REQUEST, /* UUID " " ("at-next-boot"|"cancel") (schema 1.5) */
        PROTO_T_SWITCH_ANSWER,  /* UUID " " answer word (schema 1.5) */
        _PROTO_T_MAX,
};

/* Validates buf against a type and a length bound (<= PROTO_XS_VALUE_MAX). */
int proto_value_check(enum proto_type type, const char *buf, size_t len, size_t max);

/* ---- keys ------------------------------------------------------------------- */

/*
 * Every node of the protocol, relative to the domain home path
 * /local/domain/$DOMID. Placeholders: $IF (an interface slot,
 * 0..PROTO_NET_IF_MAX-1), $INDEX (0..the key's bound-1), $CHECK (a check id),
 * $UUID (a request id, or the nil UUID for requests whose id did not decode).
 */
enum proto_key {
        PROTO_KEY_SCHEMA,
        PROTO_KEY_AGENT_VERSION,
        PROTO_KEY_AGENT_ACTIONS,
        PROTO_KEY_AGENT_INSTANCE,
        PROTO_KEY_AGENT_BOOT_ID,
        PROTO_KEY_GUEST_TYPE,
        PROTO_KEY_KERNEL_RELEASE,
        PROTO_KEY_KERNEL_ARCH,
        PROTO_KEY_OS_ID,
        PROTO_KEY_OS_VERSION_ID,
        PROTO_KEY_OS_PRETTY_NAME,
        PROTO_KEY_NEXT_BOOT_KERNEL,
        PROTO_KEY_NEXT_BOOT_RELEASE,
        PROTO_KEY_VERDICT,
        PROTO_KEY_CHECK_STATUS,
        PROTO_KEY_CHECK_REASON,
        PROTO_KEY_CHECK_FIX,
        PROTO_KEY_SUMMARY, /* since 1.4 */
        PROTO_KEY_NET_OMITTED,
        PROTO_KEY_NET_NAME,
        PROTO_KEY_NET_MAC,
        PROTO_KEY_NET_VIF,
        PROTO_KEY_NET_IPV4,
        PROTO_KEY_NET_IPV6,
        PROTO_KEY_NET_IF_OMITTED,
        PROTO_KEY_LAST_REQUEST,
        PROTO_KEY_ANSWER_STATE,
        PROTO_KEY_ANSWER_ACTION,
        PROTO_KEY_ANSWER_REASON,
        PROTO_KEY_ANSWER_MESSAGE,
        PROTO_KEY_ANSWER_OUTPUT,
        PROTO_KEY_ANSWER_OMITTED,
        PROTO_KEY_REQUEST,
        PROTO_KEY_SWITCH_REQUEST, /* since 1.5 */
        PROTO_KEY_SWITCH_ANSWER,  /* since 1.5 */
        _PROTO_KEY_MAX,
};

enum proto_writer {
        PROTO_WRITER_GUEST, /* the agent, under ~/data/pvh (guest-owned) */
        PROTO_WRITER_HOST,  /* the monitor, under ~/control/pvh (guest-owned node) */
};

struct proto_key_info {
        enum proto_key key;
        const char *pattern;    /* e.g. "data/pvh/net/$IF/ipv4/$INDEX" */
        enum proto_type type;
        enum proto_writer writer;
        size_t max;             /* bytes in the value */
        unsigned index_max;     /* $INDEX < index_max, for keys that have one */
        bool required;          /* always present once the agent has published */
};

/* The key table entry, or NULL when out of range. Iterate 0.._PROTO_KEY_MAX-1. */
const struct proto_key_info *proto_key_info(enum proto_key key);

/* The placeholders of a concrete path. Fields a pattern does not use are ignored. */
struct proto_path_args {
        unsigned iface;                      /* $IF */
        unsigned index;                      /* $INDEX */
        enum proto_check check;              /* $CHECK, when check_name is NULL */
        const char *check_name;              /* $CHECK as a string (unknown ids) */
        char uuid[PROTO_UUID_LEN + 1];       /* $UUID */
};

/* Formats the path of a key into buf (with NUL); returns its length. */
int proto_path_format(enum proto_key key, const struct proto_path_args *args,
                      char *buf, size_t size);

/* Where the agent writes and where the host writes, relative to the domain home. */
#define PROTO_GUEST_DIR "data/pvh"
#define PROTO_HOST_DIR "control/pvh"
/* Room for an absolute path of the protocol, with NUL. */
#define PROTO_DOMAIN_PATH_MAX (sizeof("/local/domain/4294967295/") + PROTO_PATH_MAX)

/*
 * The absolute xenstore path of a node of domain domid: its home
 * /local/domain/DOMID when rel is NULL or empty, else HOME/rel. Every path a
 * program builds for a domain comes from here or from proto_domain_key_path().
 */
int proto_domain_path(unsigned domid, const char *rel, char *buf, size_t size);
/* The absolute path of a protocol key of domain domid (proto_path_format under the home). */
int proto_domain_key_path(unsigned domid, enum proto_key key, const struct proto_path_args *args,
                          char *buf, size_t size);

/*
 * Matches a path relative to the domain home against the key table. On
 * success returns the key and fills ret_args (check_name then points into
 * path, not NUL-terminated: its length is ret_check_len). -PROTO_E_PATH when
 * the path is not a protocol key; an unknown but well-formed check id gives
 * PROTO_KEY_CHECK_* with ret_args->check == _PROTO_CHECK_MAX.
 */
int proto_path_match(const char *path, size_t len, struct proto_path_args *ret_args,
                     size_t *ret_check_len);

/*
 * The writer's and the reader's check of one node: value against the key's
 * type and bound. Accepts keys from the table only.
 */
int proto_key_check(enum proto_key key, const char *buf, size_t len);

/* ---- typed decoders ----------------------------------------------------- */

struct proto_schema {
        unsigned major;
        unsigned minor;
};

/* -PROTO_E_INCOMPATIBLE when well-formed with another major (ret still filled). */
int proto_schema_decode(const char *buf, size_t len, struct proto_schema *ret);

/* Lowercase canonical text, 36 characters, NUL-terminated. */
struct proto_uuid {
        char s[PROTO_UUID_LEN + 1];
};

/* -PROTO_E_NIL_UUID for the nil UUID; ret is filled all the same in that case. */
int proto_uuid_decode(const char *buf, size_t len, struct proto_uuid *ret);
bool proto_uuid_is_nil(const struct proto_uuid *u);

/*
 * agent/actions: the actions an agent takes, and (schema 1.3) those it takes
 * with the dry-run argument only, listed as "ACTION-dry-run" in place of
 * ACTION. An action in known is taken with every argument it accepts.
 */
struct proto_actions {
        unsigned known;         /* mask of 1u << enum proto_action */
        unsigned dry_run_only;  /* mask of 1u << enum proto_action, not in known */
        unsigned n_unknown;     /* well-formed tokens this version does not know */
};

int proto_actions_decode(const char *buf, size_t len, struct proto_actions *ret);
/*
 * Writes the space-separated list: the actions in a->known, then
 * "ACTION-dry-run" for each other action in a->dry_run_only that accepts
 * dry-run (n_unknown is ignored); returns its length.
 */
int proto_actions_encode(const struct proto_actions *a, char *buf, size_t size);
/* Whether an agent that published a takes action with args (a mask of 1u << enum proto_arg). */
bool proto_actions_allow(const struct proto_actions *a, enum proto_action action, unsigned args);

int proto_count_decode(const char *buf, size_t len, uint32_t max, uint32_t *ret);

int proto_mac_decode(const char *buf, size_t len, uint8_t ret[6]);

struct proto_ip {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        unsigned prefix;
};

int proto_ipv4_decode(const char *buf, size_t len, struct proto_ip *ret);
int proto_ipv6_decode(const char *buf, size_t len, struct proto_ip *ret);
/* Canonical text of an address with its prefix; returns its length. */
int proto_ip_encode(const struct proto_ip *ip, char *buf, size_t size);

/* ---- requests ----------------------------------------------------------- */

struct proto_request {
        struct proto_uuid id;
        enum proto_action action;
        unsigned args;          /* mask of 1u << enum proto_arg */
};

/*
 * Decodes ~/control/pvh/request. An empty value means "no request" and gives
 * -PROTO_E_EMPTY. Checks in order: size, bytes (NUL, control, charset), the
 * id, the action, the arguments.
 */
int proto_request_decode(const char *buf, size_t len, struct proto_request *ret);

/*
 * The id of a request that may fail to decode, so that the failure can be
 * answered under that id: the first 36 bytes when they are a valid UUID.
 */
int proto_request_id(const char *buf, size_t len, struct proto_uuid *ret);

/* Encodes a request; refuses a nil id and arguments the action does not take. */
int proto_request_encode(const struct proto_request *req, char *buf, size_t size);

/* The reason to answer for a request that failed to decode with error r. */
enum proto_reason proto_request_error_reason(int r);

/* ---- text --------------------------------------------------------------- */

/*
 * Makes arbitrary bytes a valid TEXT (multiline false) or BLOCK value of at
 * most size-1 bytes: invalid UTF-8 and control characters become "?", and
 * the result is cut at a character boundary. Returns the length written
 * (buf is NUL-terminated); *ret_consumed (may be NULL) is how much of the
 * input fit, so callers can split long output into chunks.
 */
size_t proto_text_sanitize(const char *in, size_t len, bool multiline, char *buf, size_t size,
                           size_t *ret_consumed);

/* ---- the disk inspection report ------------------------------------------ */

/*
 * pvh-inspect, which the monitor runs in dom0 on a guest's disks, reports
 * what it read on its standard output, one line per value: KEY "=" VALUE
 * "\n". KEY is either a guest key of this protocol as the agent would
 * publish it, named relative to ~/data/pvh ("verdict",
 * "checks/console/status"; the readiness keys only: guest facts, verdict,
 * checks), or one of the inspection's own keys below ("inspect/..."). The
 * monitor reads a report as it reads a guest's nodes: each value is held
 * to its key's type and bound, and a line that breaks a rule is refused.
 */
enum proto_ikey {
        PROTO_IKEY_MENU_DEVICE,  /* the device pvhgrub reads its menu from, e.g. "(xvda,gpt2)" */
        PROTO_IKEY_MENU_FILE,    /* the menu on it: "/boot/grub/grub.cfg" or "/grub/grub.cfg" */
        PROTO_IKEY_ROOT_DEVICE,  /* the device read as the root file system */
        PROTO_IKEY_BOOT_DEVICE,  /* the device read as /boot */
        PROTO_IKEY_DEVICES,      /* every device found, in pvhgrub's search order */
        PROTO_IKEY_ERROR,        /* why the inspection failed: a TOKEN */
        PROTO_IKEY_MESSAGE,      /* that failure, for people */
        PROTO_IKEY_NOTE,         /* inspect/note/$INDEX: what the reader should know */
        PROTO_IKEY_SANDBOX,      /* the identity and limits the inspector ran with */
        PROTO_IKEY_FILES,        /* files read from the disk */
        _PROTO_IKEY_MAX,
};

#define PROTO_REPORT_MAX (64u << 10)   /* bytes in a whole report */
#define PROTO_REPORT_LINE_MAX (PROTO_PATH_MAX + 1 + PROTO_XS_VALUE_MAX + 1)
#define PROTO_REPORT_NOTES_MAX 8

struct proto_ikey_info {
        enum proto_ikey key;
        const char *pattern;    /* e.g. "inspect/note/$INDEX" */
        enum proto_type type;
        size_t max;
        unsigned index_max;
};

/* The inspection key table entry, or NULL when out of range. */
const struct proto_ikey_info *proto_ikey_info(enum proto_ikey key);

struct proto_report_item {
        bool inspect;                   /* an inspection key (enum proto_ikey), else a guest key */
        int key;
        struct proto_path_args args;    /* the guest key's placeholders; index of a note */
        size_t check_len;               /* of args.check_name, which points into the line */
        const char *value;              /* into the line, not NUL-terminated */
        size_t value_len;
};

/*
 * Decodes one line without its newline: size, then the key (a guest
 * readiness key or an inspection key), then the value against that key.
 */
int proto_report_decode(const char *line, size_t len, struct proto_report_item *ret);
/*
 * Formats KEY=VALUE and a newline into buf, for a key as proto_report_decode
 * takes it ("verdict", "inspect/note/0"); refuses what it would refuse.
 */
int proto_report_encode(const char *key, const char *value, char *buf, size_t size);

/* ---- the status summary (schema 1.4) ------------------------------------- */

/*
 * ~/data/pvh/summary: what a status view shows of a guest, in one node the
 * agent writes in the same transaction as the keys it repeats, so that a
 * reader needs one request where it would need one per key. Each line is
 * KEY "=" VALUE "\n", KEY a guest key named relative to ~/data/pvh
 * ("verdict", "checks/console/status") that proto_summary_key() accepts,
 * VALUE held to that key's type and bound. See PROTOCOL.md, "Summary".
 */
#define PROTO_SUMMARY_MAX PROTO_XS_VALUE_MAX

/*
 * Whether the summary repeats key: the agent's identity, the guest facts,
 * the verdict, check statuses, last_request and its answer's state, action
 * and reason.
 */
bool proto_summary_key(enum proto_key key);

/*
 * Appends KEY=VALUE and a newline to the summary of *len bytes in buf (kept
 * NUL-terminated), for a key relative to ~/data/pvh. Returns 1 when added, 0
 * when the summary does not repeat that key (nothing written), or the error
 * that proto_summary_next() would give the line (-PROTO_E_NOSPACE past
 * size or PROTO_SUMMARY_MAX); buf and *len are then as they were.
 */
int proto_summary_add(char *buf, size_t size, size_t *len, const char *key, const char *value);

/*
 * Decodes the line at *offset of a summary and moves *offset past it:
 * 1 with *ret set (pointing into buf), 0 at the end, or an error.
 */
int proto_summary_next(const char *buf, size_t len, size_t *offset, struct proto_report_item *ret);

/*
 * The whole summary, as a reader holds it before it uses any of it: every
 * line decodes; no key twice (-PROTO_E_DUPLICATE); at most PROTO_CHECKS_MAX
 * checks (-PROTO_E_TOO_MANY); schema and verdict present
 * (-PROTO_E_TRUNCATED); a schema of our major (-PROTO_E_INCOMPATIBLE) and
 * at least 1.4, which has the summary (-PROTO_E_CONFLICT); a verdict
 * that agrees with the checks: not "ready" while a readiness check fails
 * (-PROTO_E_CONFLICT); and answer lines of last_request's answer only,
 * with its state (-PROTO_E_CONFLICT).
 */
int proto_summary_check(const char *buf, size_t len);

/* ---- the owner's switch at the next boot (schema 1.5) --------------------- */

/*
 * ~/data/pvh/switch, written by the guest (pvh-agent switch): the owner asks
 * the host to switch this guest to PVH at its next boot, or to cancel that.
 * ~/control/pvh/switch, written by the host (pvh-monitor serve), readable by
 * the guest only: its answer to the request with the same id. Both are
 * UUID " " WORD. See PROTOCOL.md, "Switch at the next boot".
 */
#define PROTO_SWITCH_MAX 64

enum proto_switch_want {
        PROTO_SWITCH_AT_NEXT_BOOT,
        PROTO_SWITCH_CANCEL,
        _PROTO_SWITCH_WANT_MAX,
};

enum proto_switch_answer {
        PROTO_SWITCH_ARMED,       /* PVH at the next boot */
        PROTO_SWITCH_DISARMED,    /* PV at the next boot (cancelled, or never armed) */
        PROTO_SWITCH_NOT_ALLOWED, /* the host takes no such requests */
        PROTO_SWITCH_NOT_READY,   /* the guest's verdict is not ready */
        PROTO_SWITCH_BUSY,        /* another migration holds the host: ask again later */
        PROTO_SWITCH_FAILED,      /* the host tried and failed */
        _PROTO_SWITCH_ANSWER_MAX,
};

struct proto_switch {
        struct proto_uuid id;
        int word; /* enum proto_switch_want in a request, enum proto_switch_answer in an answer */
};

/* As the other enums: NULL out of range; the value, or the error of the first rule the word breaks. */
const char *proto_switch_want_to_string(enum proto_switch_want v);
int proto_switch_want_from_string(const char *buf, size_t len);
const char *proto_switch_answer_to_string(enum proto_switch_answer v);
int proto_switch_answer_from_string(const char *buf, size_t len);
/*
 * Decode the two nodes. Checks in order: size, bytes, the id (not nil), the
 * space, the word's syntax, the word (-PROTO_E_ENUM for one not known).
 */
int proto_switch_request_decode(const char *buf, size_t len, struct proto_switch *ret);
int proto_switch_answer_decode(const char *buf, size_t len, struct proto_switch *ret);
/* Encode them; a nil or malformed id or an unknown word is refused. Return the length. */
int proto_switch_request_encode(const struct proto_switch *sw, char *buf, size_t size);
int proto_switch_answer_encode(const struct proto_switch *sw, char *buf, size_t size);
