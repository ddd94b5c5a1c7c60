/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guest.h"
#include "protocol.h"
#include "spawn.h"
#include "xlcfg.h"
#include "xstore.h"

/*
 * Staged PV -> PVH migrations (pvh-monitor migrate). A plan is a list of
 * guests in waves, kept in the database. Running it moves each guest through
 * a chain of steps; every step is recorded as started in the database before
 * it acts and as done after, so that a run killed at any point resumes at the
 * recorded step. Each step is idempotent or checks what was done already.
 */

/* The defaults of migrate and trial. */
#define XL_DEFAULT "/usr/sbin/xl"
#define CONFIG_DEFAULT "/etc/xen/%n.cfg"
/* Debian's grub-xen-host: pvgrub2 for 64- and 32-bit PV guests, and pvhgrub. */
#define PVGRUB_DEFAULT "/usr/lib/grub-xen/grub-x86_64-xen.bin"
#define PVGRUB32_DEFAULT "/usr/lib/grub-xen/grub-i386-xen.bin"
/* xenconsoled --log=guest writes each guest's console there. */
#define CONSOLE_LOG_DEFAULT "/var/log/xen/console/guest-%n.log"
#define PVHGRUB_DEFAULT "/usr/lib/grub-xen/grub-i386-xen_pvh.bin"

/* The toolstack drivers (migrate-toolstack.c). */
enum mts_kind {
        MTS_XL,      /* xl: an xl configuration file per guest */
        MTS_LIBVIRT, /* libvirt's libxl driver: the persistent domain XML, through virsh */
        MTS_XAPI,    /* XAPI: the VM's domain-type, through xe */
        _MTS_MAX,
};
#define VIRSH_DEFAULT "/usr/bin/virsh"
#define LIBVIRT_URI_DEFAULT "xen:///system"
#define XE_DEFAULT "/opt/xensource/bin/xe"
/* Where the libvirt driver keeps each guest's PVH definition, the PV original beside it. */
#define LIBVIRT_CONFIG_DEFAULT "/var/lib/pvh-monitor/libvirt/%n.xml"
/* XAPI's definition is the VM's record: not a file, a name for it. */
#define XAPI_CONFIG_DEFAULT "xapi:%n"

enum mig_state {
        MIG_PLANNED,
        MIG_RUNNING,  /* started; may have been killed: resume continues it */
        MIG_STOPPED,  /* a gate stopped it */
        MIG_ABORTED,
        MIG_DONE,     /* every guest of the waves is done */
        MIG_PARTIAL,  /* the waves ran: some guests done, others not */
        MIG_FAILED,   /* the waves ran: no guest done */
        MIG_ARMED,    /* at the next reboot: guests armed, waiting for their reboots (serve resumes it) */
        _MIG_STATE_MAX,
};

enum mg_state {
        MG_PENDING,
        MG_ACTIVE,    /* in its chain of steps */
        MG_DONE,      /* runs PVH, verified */
        MG_FAILED,    /* rolled back to PV */
        MG_SKIPPED,
        MG_CANCELLED, /* not started: the run stopped or was aborted */
        MG_ARMED,     /* PVH at its next reboot: the file and the running domain's saved configuration */
        MG_DISARMED,  /* was armed; back on PV before a reboot (its verdict turned blocked, or aborted) */
        _MG_STATE_MAX,
};

enum mg_step {
        MS_NONE,
        MS_CHECK,      /* read the agent's verdict, boot id and addresses */
        MS_PREPARE,    /* request prepare (fixable guests) */
        MS_READY,      /* the verdict must be ready */
        MS_SWITCH,     /* the configuration to PVH, the PV original kept */
        MS_ARM,        /* at the next reboot: XL config-update NAME CFG, nothing restarted */
        MS_RESTART,    /* shutdown -w, create */
        MS_VERIFY,     /* PVH, a new boot id, the addresses back */
        MS_RESTORE,    /* the PV configuration back */
        MS_RESTART_PV, /* shutdown -w, create, as PV */
        MS_WAIT_PV,    /* the agent back, as PV */
        MS_ROLLBACK,   /* request rollback of what prepare changed */
        _MS_MAX,
};

struct mig_settings {
        unsigned canary, growth, max_wave, max_failures;
        enum mts_kind kind; /* the toolstack's driver */
        char *xl;          /* the toolstack's program: xl, virsh or xe */
        char *toolstack_uri; /* libvirt: the connection (NULL: LIBVIRT_URI_DEFAULT) */
        char *config;      /* the configuration path; %n is the domain name */
        char *pvgrub, *pvhgrub;
        char *hook;        /* other formats: HOOK to-pvh|to-pv NAME CFG */
        unsigned toolstack_timeout, boot_timeout, request_timeout;
        bool agentless;    /* plan guests without an agent from their disks' inspection */
        char *inspector;   /* pvh-inspect */
        unsigned inspect_time; /* its CPU seconds (0: the default) */
        unsigned settle;   /* agentless: seconds a PVH boot must stay up */
        unsigned agent_settle; /* with an agent: seconds a PVH boot must stay up once it reported (0: none) */
        char *console_log; /* agentless: the console log's path; %n is the domain name */
        char *before_guest; /* run before a guest's first step; non-zero skips it */
        char *after_guest;  /* run after a guest's last step */
        unsigned max_restarts; /* restarts of a guest by the toolstack while it is verified that fail it */
        bool no_prepare;   /* switch only guests ready as they are; a fixable one is skipped */
        unsigned parallel;  /* guests of a wave in their steps at once; run --parallel overrides it */
        bool at_next_reboot; /* arm the guests (MS_ARM); each switches at its own next reboot */
        bool require_trial; /* a guest's newest trial must have booted since its last kernel change */
};

struct mig {
        int64_t id;
        enum mig_state state;
        char *reason;
        bool abort_requested;
        bool interrupted;  /* running, but no live process holds its lock (not kept in the database) */
        int64_t created;
        struct mig_settings s;
};

struct mguest {
        int64_t mig;
        unsigned pos;
        int wave;          /* -1 when skipped at plan time */
        char *name;
        char *config;
        char *verdict;     /* at plan, then at check */
        enum mg_state state;
        enum mg_step step;
        bool step_done;
        bool prepared, switched, restarted;
        unsigned old_domid; /* before the migration */
        unsigned domid;     /* the domain the current step acts on */
        char *boot_id;      /* before the migration */
        char *addrs;        /* before the migration, sorted, space separated */
        char *request_id;   /* the request the current step sent */
        char *reason;       /* why skipped or failed; set while active: failing */
        bool agentless;     /* no agent: judged by its disks, verified by the toolstack and its frontends */
        bool console_known; /* console_from is set (not kept in the database) */
        uint64_t console_from; /* the console log's size before the switch's boot */
};

const char *mig_state_to_string(enum mig_state s);
/* The state to show: "interrupted" for a running migration no run holds. */
const char *mig_state_text(const struct mig *m);
const char *mg_state_to_string(enum mg_state s);
const char *mg_step_to_string(enum mg_step s);
int mg_state_from_string(const char *s);
int mg_step_from_string(const char *s);
int mig_state_from_string(const char *s);
void mig_done(struct mig *m);
void mguest_done(struct mguest *g);
void mig_settings_done(struct mig_settings *s);
/* The configuration path of a domain: the %n of the pattern replaced. */
char *mig_config_path(const char *pattern, const char *name);
/* Whether a toolstack name can be used in a path and an argument. */
bool mig_name_ok(const char *name);

/* ---- database (migrate-db.c) ---- */
struct mdb;
int mdb_open(const char *path, struct mdb **ret);
struct mdb *mdb_close(struct mdb *d);
/*
 * SQLite's connections must not cross a fork(): before one, they are closed
 * (mdb_disconnect), and each process makes its own (mdb_reconnect).
 */
void mdb_disconnect(struct mdb *d);
int mdb_reconnect(struct mdb *d);
int mdb_create(struct mdb *d, const struct mig *m, const struct mguest *g, unsigned n,
               int64_t *ret_id);
/* id 0: the newest. -ENOENT when there is none. */
int mdb_load(struct mdb *d, int64_t id, struct mig *ret);
int mdb_guests(struct mdb *d, int64_t mig, struct mguest **ret, unsigned *ret_n);
int mdb_set_state(struct mdb *d, struct mig *m);
int mdb_request_abort(struct mdb *d, int64_t mig);
int mdb_abort_requested(struct mdb *d, int64_t mig);
/* Writes the guest's row and an event, in one durable transaction. */
int mdb_guest_save(struct mdb *d, const struct mguest *g, const char *event, const char *detail);
/* An event of the migration's journal (name NULL: of the migration itself). */
int mdb_event(struct mdb *d, int64_t mig, const char *name, const char *event, const char *detail);
/*
 * The toolstack command a guest's step runs, recorded before the program
 * runs (grp NULL: none runs now). mdb_child_get returns 1 with the group
 * recorded, 0 when there is none.
 */
int mdb_child_set(struct mdb *d, const struct mguest *g, const struct spawn_group *grp);
int mdb_child_get(struct mdb *d, const struct mguest *g, struct spawn_group *ret);
/*
 * The lock a run holds: 0 taken (its owner, pid and start time, is written
 * into the lock file; an owner named there already was killed, and is
 * reported), or -EBUSY when another process holds it, with the pid of the
 * live owner the file names in *ret_holder (0 when it names none).
 * mdb_unlock empties the file and lets the lock go.
 */
int mdb_lock(const char *db_path, bool wait, int *ret_fd, pid_t *ret_holder);
/*
 * When things happened, in seconds since the epoch, 0 for not yet: for a
 * guest (name), its first step began and it ended (done, failed, skipped,
 * cancelled, disarmed); for the migration (name NULL), its run began and it ended.
 */
int mdb_times(struct mdb *d, int64_t mig, const char *name, int64_t *ret_start, int64_t *ret_end);
/* Every migration's id, oldest first. */
int mdb_ids(struct mdb *d, int64_t **ret, unsigned *ret_n);
void mdb_unlock(int fd);
/* The lock of trial boots (pvh-monitor trial), one at a time per host: as mdb_lock, never waiting. */
int mdb_trial_lock(const char *db_path, int *ret_fd, pid_t *ret_holder);
/*
 * The journal of a trial boot: its row is written before anything is made,
 * each snapshot before it is made, created before the copy is created; it
 * goes (mdb_trial_end) once all that was removed. A row left behind is what
 * a killed trial left: trial --cleanup removes it (mdb_trial_leftovers).
 */
int mdb_trial_begin(struct mdb *d, const char *name, const char *copy, const char *config, int64_t *ret_id);
int mdb_trial_snapshot(struct mdb *d, int64_t id, const char *kind, const char *path, const char *lv);
int mdb_trial_created(struct mdb *d, int64_t id);
int mdb_trial_end(struct mdb *d, int64_t id);
#define MTRIAL_SNAPS_MAX 16
struct mtrial_snap {
        char *kind; /* "lvm", "reflink" */
        char *path;
        char *lv;
};
struct mtrial_leftover {
        int64_t id;
        char *copy, *config;
        bool created;
        struct mtrial_snap snaps[MTRIAL_SNAPS_MAX];
        unsigned n_snaps;
};
int mdb_trial_leftovers(struct mdb *d, struct mtrial_leftover **ret, unsigned *ret_n);
void mtrial_leftovers_free(struct mtrial_leftover *v, unsigned n);
/*
 * migrate plan --require-trial: why the guest is not planned (*ret, malloc'd):
 * no trial, its newest trial did not boot, or serve saw its kernel change
 * since; NULL when its newest trial booted since its last kernel change.
 */
int mdb_trial_reason(struct mdb *d, const char *name, char **ret);
/*
 * A trial's outcome (booted, failed, refused), kept for show and migrate plan
 * --require-trial, with the verdict predicted when it began (NULL: unknown).
 */
int mdb_trial_result(struct mdb *d, const char *name, int64_t at, const char *outcome, const char *reason,
                     const char *console, const char *predicted);
/* The verdict of the newest inspection of the guest's disks (*ret NULL when none). */
int mdb_inspection_verdict(struct mdb *d, const char *name, char **ret);
/* Whether a live process owns the lock (1, its pid in *ret_pid), without taking it. */
int mdb_lock_holder(const char *db_path, pid_t *ret_pid);
/* A guest's migration state in its history (pvh-monitor history: "migration OLD -> NEW"). */
int mdb_history(struct mdb *d, const char *name, const char *old, const char *new);
/* Records a request before it is sent, for serve's counters (see db_request_sent()). */
int mdb_request_sent(struct mdb *d, const char *id, unsigned domid, const char *name,
                     enum proto_action action);

/* ---- the guests in xenstore (migrate-guest.c) ---- */
struct msnap {
        unsigned domid;
        enum guest_agent agent;
        char verdict[PROTO_WORD_MAX + 1];
        char guest_type[PROTO_WORD_MAX + 1];
        char boot_id[PROTO_UUID_LEN + 1];
        unsigned actions; /* 1u << enum proto_action */
        bool report_only; /* its owner allows nothing that changes the guest */
        char *addrs;
        char *failing;    /* "check: reason; ..." of failing checks */
};
void msnap_done(struct msnap *s);
/* The domid of the domain named name: 0 found, -ENOENT when none. */
int mguest_find(struct xstore *x, const char *name, unsigned *ret_domid);
/* Every domain's name, read once, for the lookups of many guests (mguest_find reads them all each time). */
struct mnames {
        unsigned n;
        unsigned *domid;
        char **name; /* NULL where the domain has none usable */
};
int mnames_read(struct xstore *x, struct mnames *ret);
int mnames_find(const struct mnames *t, const char *name, unsigned *ret_domid);
void mnames_done(struct mnames *t);
int mguest_snapshot(struct xstore *x, unsigned domid, struct msnap *ret);
/* "check: text; ..." of the failing checks, escaped: their reasons, or their fixes. */
char *mguest_failing_text(const struct guest *g, bool fixes);
/* Why a fixable guest whose agent does not take prepare is skipped, and what to do by hand (malloc'd). */
char *mguest_no_prepare(const struct msnap *s);
/* Why a fixable guest is skipped by a migration that prepares none. */
char *mguest_fixable_unprepared(const struct msnap *s);
/* Whether every address of want (space separated) is in have. */
bool mguest_addrs_cover(const char *have, const char *want, char **ret_missing);

enum mreq_outcome {
        MREQ_DONE,
        MREQ_FAILED,
        MREQ_TIMEOUT,
        MREQ_GONE,
};
/*
 * Sends action with the given id (a request sent before under the same id
 * is not sent again: its answer is awaited) and waits for its final answer.
 * *ret_message is the answer's message, or the failure reason.
 */
int mguest_request(struct xstore *x, unsigned domid, enum proto_action action, const char *id,
                   unsigned timeout_s, enum mreq_outcome *ret, char **ret_message);

/*
 * A guest's agent is alive only when it answers a ping: its published state
 * stays in xenstore after it died. Seconds a ping may take, at plan time
 * and before each guest's turn in a run.
 */
#define MIG_PING_TIMEOUT 10
/*
 * Pings the agent of domain domid under a new request id, recorded first in
 * d for serve's counters (d may be NULL). 0 when it answered; 1 when not,
 * with *ret_why the reason (malloc'd, starting "no answer"); < 0 on error.
 */
int mguest_ping(struct xstore *x, struct mdb *d, unsigned domid, const char *name, char **ret_why);

/* ---- commands (migrate-exec.c) ---- */
/*
 * Runs argv[0] with argv through execve (no shell), stdin /dev/null, its
 * output kept. Returns its exit status (>= 0; 128+N for signal N),
 * -ETIMEDOUT after timeout_s (its process group is killed), or -errno.
 * *ret_output holds the last part of its output, one line.
 */
int mexec(char *const argv[], unsigned timeout_s, char **ret_output);
/*
 * Runs argv (no shell, our environment) with its whole output (stdout and
 * stderr) kept in *ret: the exit status, -EFBIG when it wrote more than max
 * bytes, -ETIMEDOUT, or -errno (the program could not be executed).
 */
int mexec_output(char *const argv[], unsigned timeout_s, size_t max, char **ret);
/* mexec() with the environment envp. */
int mexec_env(char *const argv[], char *const envp[], unsigned timeout_s, char **ret_output);
/* The same; started (see struct spawn_cmd) is told the child's pid before the program runs. */
int mexec_tracked(char *const argv[], unsigned timeout_s, int (*started)(pid_t pid, void *userdata),
                  void *userdata, char **ret_output);

/* ---- the toolstack drivers (migrate-toolstack.c) ---- */
const char *mts_kind_to_string(enum mts_kind k);
int mts_kind_from_string(const char *s);
const char *mts_program_default(enum mts_kind k);
/* The default pattern of a guest's definition (%n: its name). */
const char *mts_config_default(enum mts_kind k);
/*
 * Why the guest's definition cannot be switched to PVH: 1 with *ret_why,
 * 0 when it can. xl reads the file config; libvirt the persistent domain
 * XML (virsh dumpxml --inactive); XAPI the VM's domain-type (xe).
 */
int mts_inspect(const struct mig_settings *s, const char *name, const char *config, char **ret_why);
/*
 * The guest's definition to PVH, the PV original kept: the file work is
 * done here, and *ret_cmd (NULL: none) is the command that makes the
 * toolstack take it (virsh define CFG; xe vm-param-set domain-type=pvh),
 * for the run to execute and journal. Idempotent: a definition PVH already
 * gives no command. -EINVAL with *ret_why when it cannot be switched.
 */
int mts_switch(const struct mig_settings *s, const char *name, const char *config, char ***ret_cmd,
               char **ret_why);
/* The PV original back, as mts_switch (virsh define CFG.pv-backup; xe ... domain-type=pv). */
int mts_restore(const struct mig_settings *s, const char *name, const char *config, char ***ret_cmd,
                char **ret_why);
enum mts_op {
        MTS_STOP,  /* xl shutdown -w NAME; virsh shutdown NAME (returns at once); xe vm-shutdown */
        MTS_START, /* xl create CFG; virsh start NAME; xe vm-start */
        MTS_ARM,   /* xl config-update NAME CFG; libvirt: none (the switch's define); XAPI: -EOPNOTSUPP */
        MTS_KILL,  /* xl destroy NAME; virsh destroy NAME; xe vm-shutdown --force: the domain off at once */
};
/*
 * The command of op for the guest (a NULL-terminated vector, strv_free;
 * NULL when there is nothing to run).
 * XAPI names VMs by UUID: it is looked up (xe vm-list), except when dry.
 * < 0 with *ret_why when there is none.
 */
int mts_command(const struct mig_settings *s, enum mts_op op, const char *name, const char *config, bool dry,
                char ***ret, char **ret_why);
/*
 * Whether the toolstack has the guest stopped, once its domain is gone from
 * xenstore: 1 yes, 0 not yet (libvirt: virsh domstate says so only after
 * its clean-up), < 0 when it cannot say.
 */
int mts_stopped(const struct mig_settings *s, const char *name);
/* Why a guest failed that the toolstack shows shut down for reason down (crash, reboot, ...). */
char *mtoolstack_down_why(const char *down);
/* As mtoolstack_shutdown(), from the plan's toolstack. */
int mts_shutdown_reason(const struct mig_settings *s, const char *name, const char *config,
                        const char **ret_reason);
/*
 * XAPI names a guest's VM "xapi:UUID" in its CFG when the plan read the
 * UUID from its domain's vm path: VMs are found by it, not by their names,
 * which XAPI does not keep unique.
 */
int mts_plan_config(const struct mig_settings *s, struct xstore *x, unsigned domid, char **config);
/* The UUID of a CFG "xapi:UUID"; NULL when it names none. */
const char *mts_config_uuid(const char *config);
/* A command's words, a space between them (malloc'd), for people. */
char *mts_argv_text(char *const argv[]);

/* ---- guests without an agent (migrate-agentless.c) ---- */
/*
 * At plan time: the guest's disks (those of its configuration) inspected
 * now and the result kept in the database at db_path. NULL when the guest
 * can be planned (ready); else why it is skipped, with the manual change
 * for its owner when it is fixable. *ret_verdict is the inspection's word.
 */
char *magentless_plan(struct xstore *x, const char *db_path, const struct mig_settings *s, unsigned domid,
                      const char *config, char **ret_verdict);
/* Before the switch: inspected again; 0 ready, 1 not (*ret_why says why), < 0 error. */
int magentless_ready(struct xstore *x, const char *db_path, const struct mig_settings *s, const struct mguest *g,
                     char **ret_why);
/*
 * What keeps domain domid (named name) from counting as booted as type
 * ("PV", "PVH") without an agent: the toolstack must run it as type (xl
 * list -l), not crashed, and every block and network frontend must be
 * connected (device/vbd/N/state and device/vif/N/state 4), with at least
 * one disk. NULL when it does.
 */
char *magentless_missing(struct xstore *x, const struct mig_settings *s, unsigned domid, const char *name,
                         const char *type);
/*
 * Whether the toolstack shows domain name shut down (xl list NAME): 1 with
 * the reason ("poweroff", "reboot", "suspend", "crash", "watchdog",
 * "soft-reset"), 0 when it is not, < 0 when xl cannot say (no such domain).
 */
int mtoolstack_shutdown(const struct mig_settings *s, const char *name, const char **ret_reason);
/* Notes the size of the guest's console log before it boots, so that only what that boot writes is read. */
void magentless_console_mark(const struct mig_settings *s, struct mguest *g);
/*
 * Why the guest's console log says its boot failed: a kernel panic, or
 * GRUB unable to load the kernel, written since the mark (the first 4 MiB
 * of it are read). NULL when it does not,
 * or there is no log (without a mark, as after a resume: marks it now).
 */
char *magentless_console_missing(const struct mig_settings *s, struct mguest *g);

/* ---- the hooks (migrate-hook.c) ---- */
enum mhook {
        MHOOK_BEFORE, /* before the guest's first step: non-zero skips it */
        MHOOK_AFTER,  /* after its last step: only journaled */
};
/*
 * Runs the hook's command, if the plan has one, without a shell and without
 * arguments; the guest's name, domid, step, state and reason, the wave and
 * the migration are in its environment (PVH_*, see pvh-monitor(8)).
 * Returns 0 when it ran and exited 0 or there is none, 1 when it did not
 * (*ret_why says why, its output's tail included), or -errno.
 */
int mhook_run(const struct mig *m, const struct mguest *g, enum mhook which, char **ret_why);

/* ---- what people read (migrate-view.c) ---- */
#define MVIEW_CLOCK_MAX 32
/* A time of day (or a date and time) of t, seconds since the epoch; "-" for 0. */
const char *mview_clock(int64_t t, bool date, char buf[static MVIEW_CLOCK_MAX]);
/* A duration: m:ss, or h:mm:ss. */
const char *mview_duration(int64_t secs, char buf[static MVIEW_CLOCK_MAX]);
/* t as a JSON number, null for 0. */
void mview_json_time(FILE *f, int64_t t);
/* When the guest began ("-" before) and how long it took ("-" until it ended). */
void mview_guest_times(struct mdb *d, int64_t mig, const char *name,
                       char start[static MVIEW_CLOCK_MAX], char took[static MVIEW_CLOCK_MAX]);
/* The table at the end of a run: per guest its outcome, time, the type its domain runs as now. */
void mview_summary(FILE *f, struct mdb *d, struct xstore *x, const struct mig *m,
                   const struct mguest *g, unsigned n);
/* migrate list: every migration with its dates; returns an exit status. */
int mview_list(struct mdb *d, bool json);

/* ---- the run (migrate-run.c) ---- */
struct mrun_opts {
        const char *db_path;
        bool json;    /* JSON lines, else lines for people */
        bool dry_run;
        bool abort;   /* finish the guest in progress by rolling it back, cancel the rest */
        unsigned parallel; /* guests of a wave in their chains at once (1: one after the other) */
        int lock_fd;  /* the migration lock the run holds (-1: none), not for its workers to keep */
};
/*
 * At most this many guests at once: each holds its own xenstore connection
 * and watches, and runs its own toolstack commands, which xenstored and the
 * toolstack (one lock per domain, much of it serialised) take one by one.
 */
#define MRUN_PARALLEL_MAX 16
/* Runs or resumes m; returns an exit status. */
int mrun(struct mdb *d, struct xstore *x, struct mig *m, const struct mrun_opts *o);
