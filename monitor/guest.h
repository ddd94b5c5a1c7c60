/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"
#include "xstore.h"

/*
 * What one guest published, read with every bound of PROTOCOL.md: values
 * over their bound are refused, invalid values are kept only as their error,
 * and a guest with more than PROTO_NODES_MAX nodes is marked invalid. Memory
 * per guest is bounded by the key bounds.
 */

#define GUEST_NAME_MAX 64 /* the toolstack's name; longer names are refused */
#define GUESTS_MAX 4096   /* guests read in one pass */

/* The single-valued keys a guest publishes, in display order. */
enum guest_field {
        GF_SCHEMA,
        GF_AGENT_VERSION,
        GF_AGENT_ACTIONS,
        GF_AGENT_INSTANCE,
        GF_AGENT_BOOT_ID,
        GF_GUEST_TYPE,
        GF_KERNEL_RELEASE,
        GF_KERNEL_ARCH,
        GF_OS_ID,
        GF_OS_VERSION_ID,
        GF_OS_PRETTY_NAME,
        GF_NEXT_BOOT_KERNEL,
        GF_NEXT_BOOT_RELEASE,
        GF_VERDICT,
        GF_LAST_REQUEST,
        _GF_MAX,
};

enum guest_agent {
        GUEST_AGENT_NONE,         /* no schema: no agent has published */
        GUEST_AGENT_OK,           /* schema 1.x */
        GUEST_AGENT_INCOMPATIBLE, /* another major: only schema and version read */
        GUEST_AGENT_INVALID,      /* schema invalid, or too many nodes */
};

/* A value: err 0 and val set, GV_ABSENT, or -PROTO_E_* invalid. */
#define GV_ABSENT (-10000)
struct gvalue {
        int err;
        char *val;
};

struct gcheck {
        char id[PROTO_CHECK_ID_MAX + 1]; /* empty when the id is malformed */
        int status;                      /* enum proto_status, or -PROTO_E_* / GV_ABSENT */
        struct gvalue reason;            /* read only with GUEST_READ_REASONS */
        struct gvalue fix;               /* read with GUEST_READ_FIXES, or from an inspection's report */
};

struct ganswer {
        char id[PROTO_UUID_LEN + 1];
        struct gvalue state, action, reason, message;
};

/*
 * The last inspection of the guest's disks (pvh-monitor inspect), for a
 * guest without an agent: read from its report with the same bounds and
 * checks as a guest's nodes. An agent's live data wins: a guest with an
 * agent shows none.
 */
struct ginspect {
        int64_t at;                       /* when, seconds since the epoch */
        char *disks;                      /* what was read: "xvda=/dev/vg0/a ..." */
        char *failure;                    /* the monitor's own: the inspector did not report */
        struct gvalue v[_PROTO_IKEY_MAX]; /* the inspection keys; v[PROTO_IKEY_NOTE] unused */
        struct gvalue notes[PROTO_REPORT_NOTES_MAX];
        unsigned refused;                 /* report lines refused */
};

/* A guest's newest trial boot (pvh-monitor trial), from the database. */
struct gtrial {
        int64_t at;
        char *outcome;   /* booted, failed, refused; NULL: the guest had none */
        char *reason;
        char *predicted; /* the verdict when it began; NULL when not known */
};

void gtrial_done(struct gtrial *t);

struct guest {
        unsigned domid;
        struct gvalue name;
        char uuid[PROTO_UUID_LEN + 1]; /* the domain's, from the toolstack's vm path; "" unknown */
        enum guest_agent agent;
        int agent_err;              /* why GUEST_AGENT_INVALID */
        struct gvalue f[_GF_MAX];
        struct gcheck *checks;
        unsigned n_checks;
        unsigned checks_omitted;    /* entries beyond PROTO_CHECKS_MAX */
        unsigned n_failing;
        struct ganswer last;        /* from last_request, when it is valid */
        unsigned nodes;             /* nodes read or listed */
        bool summary;               /* read from the agent's summary (GUEST_READ_SUMMARY) */
        int summary_err;            /* why its summary was refused (the guest is then invalid) */
        struct ginspect *insp;      /* NULL: not inspected, or the agent's data is shown */
        struct gtrial *trial;       /* NULL: not read (status reads it from the database) */
};

enum {
        GUEST_READ_REASONS = 1 << 0, /* check reasons (for JSON and details) */
        GUEST_READ_FIXES = 1 << 1,   /* check fixes (for show) */
        /*
         * What a status shows, from ~/data/pvh/summary when the agent writes
         * one (schema 1.4): check statuses without reasons or fixes. Without
         * a summary (older agents, guests without one), the keys are read.
         * Ignored with GUEST_READ_REASONS or GUEST_READ_FIXES.
         */
        GUEST_READ_SUMMARY = 1 << 2,
};

/* The domain's UUID from the toolstack's vm path ("" when it has none); fails only on xenstore errors. */
int guest_read_uuid(struct xstore *x, unsigned domid, char ret[static PROTO_UUID_LEN + 1]);

/* Reads everything of domid; ret is cleared first. Fails only on xenstore errors. */
int guest_read(struct xstore *x, unsigned domid, unsigned flags, struct guest *ret);

/*
 * Where guest_read_from() reads a guest's keys (absolute paths), with the
 * contract of xstore_read() and xstore_directory(): xenstore for the
 * commands; key/value pairs for the unit tests and the fuzzer.
 */
struct guest_source {
        int (*read)(void *userdata, const char *path, size_t max, char **ret, size_t *ret_len);
        int (*directory)(void *userdata, const char *path, char ***ret, unsigned *ret_n);
        void *userdata;
};

int guest_read_from(const struct guest_source *src, unsigned domid, unsigned flags,
                    struct guest *ret);
void guest_done(struct guest *g);
/* The field's key in the protocol's table. */
enum proto_key guest_field_key(enum guest_field f);
/* The JSON name of a field, e.g. "agent_version". */
const char *guest_field_name(enum guest_field f);
/* A value's text, or NULL when absent or invalid. */
const char *guest_get(const struct guest *g, enum guest_field f);
/* The toolstack name, or NULL when absent or refused (not escaped). */
const char *guest_get_name(const struct guest *g);
/*
 * The verdict word to show: the agent's, or the inspection's ("error" when
 * it failed) for a guest without one, or "none", "incompatible", "invalid".
 */
const char *guest_verdict_word(const struct guest *g);
/* Whether the guest's agent lists the action in agent/actions. */
bool guest_offers(const struct guest *g, enum proto_action a);
/* Whether it takes the action with args (a mask of 1u << enum proto_arg): "prepare-dry-run" counts. */
bool guest_allows(const struct guest *g, enum proto_action a, unsigned args);
/*
 * Whether its owner allows reports only: the agent lists none of the actions
 * that change the guest (prepare, prepare-dry-run, rollback).
 */
bool guest_report_only(const struct guest *g);

/*
 * What the guest risks beyond its readiness: its next reboot in the mode it
 * runs now fails (the check next_boot_mode fails), or checks warn.
 */
enum guest_risk {
        GUEST_RISK_NONE,
        GUEST_RISK_WARN,
        GUEST_RISK_NEXT_BOOT,
};
enum guest_risk guest_risk(const struct guest *g);
/* The word for a risk, as --filter risk= and the metrics take it: none, warn, next-boot-fails. */
const char *guest_risk_word(enum guest_risk r);
/* A readiness check, as FAILING lists them: every check but next_boot_mode. */
bool gcheck_is_readiness(const struct gcheck *c);

/*
 * Shows an inspection's report as the guest's data when it has no agent
 * (else leaves it alone and returns 0): every line decoded with the
 * protocol's report codec, invalid lines counted and dropped. failure is
 * the monitor's reason when the inspector did not report (NULL otherwise).
 */
int guest_apply_report(struct guest *g, const char *report, size_t len, int64_t at, const char *disks,
                       const char *failure);
/* Whether the guest shows an inspection that reached a verdict. */
bool guest_inspection_ok(const struct guest *g);
/* The inspection's failure for people ("" when none): the monitor's or the report's. */
const char *guest_inspection_failure(const struct guest *g);

/* Reads one answer: ~/data/pvh/answer/ID/{state,action,reason,message}. */
int guest_read_answer(struct xstore *x, unsigned domid, const char *id, struct ganswer *ret);
void ganswer_done(struct ganswer *a);
/* Joins output chunks 0.. up to the first missing one; at most the protocol's 16 KiB. */
int guest_read_output(struct xstore *x, unsigned domid, const char *id, char **ret,
                      size_t *ret_len, uint32_t *ret_omitted);
