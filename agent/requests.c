/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileedit.h"
#include "log.h"
#include "macro.h"
#include "requests.h"
#include "state.h"
#include "util.h"

#define TX_RETRIES 16
#define IDS_FILE "request-ids"
#define NIL_UUID "00000000-0000-0000-0000-000000000000"

struct requests {
        int state_fd; /* -1: ids are kept in memory only */
        char ids[REQUESTS_REMEMBERED][PROTO_UUID_LEN + 1];
        size_t n_ids; /* oldest first */
};

static void load_ids(struct requests *rq)
{
        _cleanup_free_ char *buf = NULL;
        char *line, *save = NULL;

        if (rq->state_fd < 0 || fileedit_read(rq->state_fd, IDS_FILE, 64 * 1024, &buf, NULL, NULL) < 0)
                return;
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct proto_uuid u;

                if (proto_uuid_decode(line, strlen(line), &u) < 0)
                        continue;
                if (rq->n_ids == REQUESTS_REMEMBERED) {
                        memmove(rq->ids[0], rq->ids[1], sizeof(rq->ids[0]) * (REQUESTS_REMEMBERED - 1));
                        rq->n_ids--;
                }
                memcpy(rq->ids[rq->n_ids++], u.s, sizeof(u.s));
        }
}

int requests_new(int state_fd, struct requests **ret)
{
        struct requests *rq = calloc(1, sizeof(*rq));

        if (!rq)
                return -ENOMEM;
        rq->state_fd = state_fd >= 0 ? fcntl(state_fd, F_DUPFD_CLOEXEC, 3) : -1;
        if (state_fd >= 0 && rq->state_fd < 0)
                log_warning_errno(-errno, "Request ids will not survive a restart: %m");
        load_ids(rq);
        *ret = rq;
        return 0;
}

struct requests *requests_free(struct requests *rq)
{
        if (!rq)
                return NULL;
        if (rq->state_fd >= 0)
                close(rq->state_fd);
        free(rq);
        return NULL;
}

/* Position of id among the remembered ones (oldest 0), or -1. */
static int id_index(const struct requests *rq, const char *id)
{
        for (size_t i = 0; i < rq->n_ids; i++)
                if (streq(rq->ids[i], id))
                        return (int)i;
        return -1;
}

static int remember(struct requests *rq, const char *id)
{
        char buf[REQUESTS_REMEMBERED * (PROTO_UUID_LEN + 1) + 1];
        struct file_meta meta = { .mode = 0600 };
        size_t len = 0;

        if (rq->n_ids == REQUESTS_REMEMBERED) {
                memmove(rq->ids[0], rq->ids[1], sizeof(rq->ids[0]) * (REQUESTS_REMEMBERED - 1));
                rq->n_ids--;
        }
        snprintf(rq->ids[rq->n_ids++], sizeof(rq->ids[0]), "%s", id);
        if (rq->state_fd < 0)
                return 0;
        for (size_t i = 0; i < rq->n_ids; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", rq->ids[i]);
        return fileedit_replace(rq->state_fd, IDS_FILE, buf, len, &meta);
}

static int answer_path(enum proto_key key, const char *id, unsigned index, char *buf, size_t size)
{
        struct proto_path_args a = { .index = index };

        snprintf(a.uuid, sizeof(a.uuid), "%s", id);
        return proto_path_format(key, &a, buf, size);
}

static int answer_write(struct store *s, enum proto_key key, const char *id, const char *value)
{
        char path[PROTO_PATH_MAX];
        int r = answer_path(key, id, 0, path, sizeof(path));

        if (r < 0)
                return -EINVAL;
        return store_tx_write(s, path, value);
}

/* The directory of one answer, e.g. data/pvh/answer/UUID. */
static void answer_dir(const char *id, char *buf, size_t size)
{
        snprintf(buf, size, "data/pvh/answer/%s", id);
}

static bool answer_is_final(struct store *s, const char *id)
{
        char path[PROTO_PATH_MAX];
        _cleanup_free_ char *v = NULL;
        unsigned len;
        int st;

        if (answer_path(PROTO_KEY_ANSWER_STATE, id, 0, path, sizeof(path)) < 0 ||
            store_tx_read(s, path, &v, &len) < 0)
                return true; /* no state: a leftover, fine to remove */
        st = proto_state_from_string(v, len);
        return st < 0 || proto_state_is_final((enum proto_state)st);
}

/* Keeps the newest answers: removes the oldest final ones to make room for one more. */
static int prune_answers(struct requests *rq, struct store *s, const char *keep)
{
        _cleanup_free_ char **names = NULL;
        unsigned n = 0;
        int r = store_tx_list(s, "data/pvh/answer", &names, &n);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        while (n >= PROTO_ANSWERS_MAX) {
                int oldest = -1, oldest_pos = REQUESTS_REMEMBERED;
                char dir[PROTO_PATH_MAX];

                for (unsigned i = 0; i < n; i++) {
                        int pos = names[i] ? id_index(rq, names[i]) : REQUESTS_REMEMBERED;

                        if (!names[i] || streq(names[i], keep) || !answer_is_final(s, names[i]))
                                continue;
                        if (pos < oldest_pos) {
                                oldest_pos = pos;
                                oldest = (int)i;
                        }
                }
                if (oldest < 0)
                        return 0;
                answer_dir(names[oldest], dir, sizeof(dir));
                r = store_tx_remove(s, dir);
                if (r < 0)
                        return r;
                names[oldest] = NULL;
                n--;
        }
        return 0;
}

/* The action token of a request that did not decode, when it is well-formed. */
static void action_token(const char *v, size_t len, char *buf, size_t size)
{
        const char *p = len > PROTO_UUID_LEN ? memchr(v, ' ', len) : NULL;
        size_t n;

        buf[0] = '\0';
        if (!p)
                return;
        p++;
        n = strcspn(p, " ");
        if (n < size && proto_value_check(PROTO_T_ACTION, p, n, PROTO_WORD_MAX) >= 0) {
                memcpy(buf, p, n);
                buf[n] = '\0';
        }
}

struct taken {
        struct proto_request req;
        char id[PROTO_UUID_LEN + 1];
        int decode;  /* the decoder's result */
        bool run;
        bool remember;
        bool answered_before; /* a repeated id whose answer stands: nothing written */
};

/* Writes the first answer of a request inside the open transaction. */
static int answer_first(struct requests *rq, struct store *s, const char *v, unsigned len, bool busy,
                        struct taken *t)
{
        enum proto_reason reason = PROTO_REASON_MALFORMED;
        const char *message = NULL;
        char action[PROTO_WORD_MAX + 1];
        int r;

        if (t->decode >= 0 && id_index(rq, t->id) >= 0) {
                char path[PROTO_PATH_MAX];
                _cleanup_free_ char *old = NULL;
                unsigned n;

                /* Seen before: its answer stands, or it is answered as a duplicate. */
                answer_path(PROTO_KEY_ANSWER_STATE, t->id, 0, path, sizeof(path));
                if (store_tx_read(s, path, &old, &n) >= 0) {
                        t->answered_before = true;
                        return 0;
                }
                reason = PROTO_REASON_DUPLICATE;
                message = "this request id was taken before; it is not run again";
        } else if (t->decode < 0) {
                reason = proto_request_error_reason(t->decode);
                message = proto_strerror(t->decode);
        } else if (busy && t->req.action != PROTO_ACTION_PING) {
                /* A ping says the agent is alive: it is answered whatever runs. */
                reason = PROTO_REASON_BUSY;
                message = "another request is running";
        } else
                t->run = true;

        r = prune_answers(rq, s, t->id);
        if (r >= 0)
                r = store_tx_write(s, "data/pvh/last_request", t->id);
        action_token(v, len, action, sizeof(action));
        if (r >= 0 && action[0])
                r = answer_write(s, PROTO_KEY_ANSWER_ACTION, t->id, action);
        if (r >= 0 && t->run)
                return answer_write(s, PROTO_KEY_ANSWER_STATE, t->id, "accepted");
        if (r >= 0)
                r = answer_write(s, PROTO_KEY_ANSWER_REASON, t->id, proto_reason_to_string(reason));
        if (r >= 0)
                r = answer_write(s, PROTO_KEY_ANSWER_MESSAGE, t->id, message);
        if (r >= 0)
                r = answer_write(s, PROTO_KEY_ANSWER_STATE, t->id, "failed");
        return r;
}

/* One attempt: 1 taken, 0 nothing waiting, -EAGAIN conflict, other -errno. */
/* A read in the open transaction (tx) or outside one. */
static int read_key(struct store *s, bool tx, const char *path, char **ret, unsigned *ret_len)
{
        return tx ? store_tx_read(s, path, ret, ret_len) : store_read(s, path, ret, ret_len);
}

/* The last answer as the summary repeats it: last_request and its answer's keys, relative to ~/data/pvh. */
static int last_answer_keys(struct store *s, bool tx, struct kvset *out)
{
        static const enum proto_key keys[] = { PROTO_KEY_ANSWER_STATE, PROTO_KEY_ANSWER_ACTION,
                                               PROTO_KEY_ANSWER_REASON };
        _cleanup_free_ char *last = NULL;
        unsigned len;
        int r;

        if (read_key(s, tx, "data/pvh/last_request", &last, &len) < 0 ||
            proto_key_check(PROTO_KEY_LAST_REQUEST, last, len) < 0)
                return 0;
        r = kvset_set(out, "last_request", last);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(keys); i++) {
                _cleanup_free_ char *v = NULL;
                char path[PROTO_PATH_MAX];

                answer_path(keys[i], last, 0, path, sizeof(path));
                if (read_key(s, tx, path, &v, &len) >= 0)
                        r = kvset_set(out, path + STRLEN("data/pvh/"), v);
        }
        return r;
}

int requests_last_answer(struct store *s, struct kvset *out)
{
        return last_answer_keys(s, false, out);
}

/*
 * In the transaction that wrote an answer: the summary's last answer made
 * the one now written, or, when that does not make a valid summary, no
 * summary (readers read the keys). Nothing without a summary.
 */
static int sync_summary(struct store *s)
{
        _cleanup_free_ char *old = NULL;
        char buf[PROTO_SUMMARY_MAX + 1];
        struct kvset answer = { 0 };
        unsigned len;
        int r;

        if (store_tx_read(s, "data/pvh/summary", &old, &len) < 0)
                return 0;
        r = last_answer_keys(s, true, &answer);
        if (r >= 0)
                r = state_summary_answer(old, len, &answer, buf, sizeof(buf));
        kvset_clear(&answer);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return store_tx_remove(s, "data/pvh/summary");
        return (size_t)r == len && memcmp(buf, old, len) == 0 ? 0 : store_tx_write(s, "data/pvh/summary", buf);
}

static int take_once(struct requests *rq, struct store *s, bool busy, struct taken *t)
{
        _cleanup_free_ char *v = NULL;
        struct proto_uuid id;
        unsigned len = 0;
        int r;

        *t = (struct taken){ 0 };
        r = store_tx_begin(s);
        if (r < 0)
                return r;
        r = store_tx_read(s, REQUEST_PATH, &v, &len);
        if (r < 0 || len == 0) {
                store_tx_end(s, false);
                return r == -ENOENT || r >= 0 ? 0 : r;
        }
        /* Acknowledge. A refused write-back is survivable: ids are remembered. */
        if (store_tx_write(s, REQUEST_PATH, "") < 0)
                log_debug("Could not empty %s.", REQUEST_PATH);
        t->decode = proto_request_decode(v, len, &t->req);
        if (t->decode >= 0)
                id = t->req.id;
        else if (proto_request_id(v, len, &id) < 0)
                snprintf(id.s, sizeof(id.s), NIL_UUID);
        snprintf(t->id, sizeof(t->id), "%s", id.s);
        t->remember = !streq(t->id, NIL_UUID) && id_index(rq, t->id) < 0;
        r = answer_first(rq, s, v, len, busy, t);
        if (r >= 0)
                r = sync_summary(s);
        if (r < 0) {
                store_tx_end(s, false);
                return r;
        }
        r = store_tx_end(s, true);
        return r < 0 ? r : 1;
}

int requests_take(struct requests *rq, struct store *s, bool busy, struct proto_request *ret)
{
        struct taken t;
        int r = -EAGAIN;

        for (int i = 0; i < TX_RETRIES && r == -EAGAIN; i++)
                r = take_once(rq, s, busy, &t);
        if (r <= 0)
                return r;
        if (t.remember && remember(rq, t.id) < 0)
                log_warning("Could not record request id %s in the state directory.", t.id);
        log_info("Took request %s: %s.", t.id,
                 t.run ? "running" : t.answered_before ? "answered before, not run again" : "answered failed");
        if (!t.run)
                return 0;
        *ret = t.req;
        return 1;
}

static int write_state(struct store *s, const char *id, const char *state)
{
        int r = store_tx_begin(s);

        if (r < 0)
                return r;
        r = answer_write(s, PROTO_KEY_ANSWER_STATE, id, state);
        if (r >= 0)
                r = sync_summary(s);
        if (r < 0) {
                store_tx_end(s, false);
                return r;
        }
        return store_tx_end(s, true);
}

int requests_running(struct requests *rq, struct store *s, const struct proto_uuid *id)
{
        int r = -EAGAIN;

        for (int i = 0; i < TX_RETRIES && r == -EAGAIN; i++)
                r = write_state(s, id->s, "running");
        return r;
}

/* Output in chunks cut at character boundaries; what does not fit is counted. */
static int write_output(struct store *s, const char *id, const char *out, size_t len,
                        size_t omitted)
{
        char buf[PROTO_OUTPUT_CHUNK_MAX + 1], path[PROTO_PATH_MAX], count[24];
        size_t off = 0;
        int r = 0;

        for (unsigned i = 0; i < PROTO_OUTPUT_CHUNKS_MAX && off < len && r >= 0; i++) {
                size_t used = 0;

                proto_text_sanitize(out + off, len - off, true, buf, sizeof(buf), &used);
                if (used == 0)
                        break;
                answer_path(PROTO_KEY_ANSWER_OUTPUT, id, i, path, sizeof(path));
                r = store_tx_write(s, path, buf);
                off += used;
        }
        omitted += len - off;
        if (r >= 0 && omitted > 0) {
                snprintf(count, sizeof(count), "%zu",
                         omitted < PROTO_COUNT_MAX ? omitted : (size_t)PROTO_COUNT_MAX);
                r = answer_write(s, PROTO_KEY_ANSWER_OMITTED, id, count);
        }
        return r;
}

static int finish_once(struct store *s, const char *id, enum proto_state state,
                       enum proto_reason reason, const char *message, const char *output,
                       size_t output_len, size_t omitted)
{
        char text[1024 + 1];
        int r = store_tx_begin(s);

        if (r < 0)
                return r;
        proto_text_sanitize(message, strlen(message), false, text, sizeof(text), NULL);
        r = answer_write(s, PROTO_KEY_ANSWER_MESSAGE, id, text);
        if (r >= 0 && state == PROTO_STATE_FAILED)
                r = answer_write(s, PROTO_KEY_ANSWER_REASON, id, proto_reason_to_string(reason));
        if (r >= 0 && ((output && output_len) || omitted))
                r = write_output(s, id, output ? output : "", output ? output_len : 0, omitted);
        if (r >= 0)
                r = answer_write(s, PROTO_KEY_ANSWER_STATE, id, proto_state_to_string(state));
        if (r >= 0)
                r = sync_summary(s);
        if (r < 0) {
                store_tx_end(s, false);
                return r;
        }
        return store_tx_end(s, true);
}

int requests_finish(struct requests *rq, struct store *s, const struct proto_uuid *id,
                    enum proto_state state, enum proto_reason reason, const char *message,
                    const char *output, size_t output_len, size_t omitted)
{
        int r = -EAGAIN;

        for (int i = 0; i < TX_RETRIES && r == -EAGAIN; i++)
                r = finish_once(s, id->s, state, reason, message, output, output_len, omitted);
        if (r >= 0)
                log_info("Answered request %s: %s.", id->s, proto_state_to_string(state));
        return r;
}

int requests_unfinished(struct requests *rq, struct store *s, struct proto_uuid *ret)
{
        _cleanup_free_ char *last = NULL, *state = NULL;
        char path[PROTO_PATH_MAX];
        struct proto_uuid id;
        unsigned len;
        int st;

        if (store_read(s, "data/pvh/last_request", &last, &len) < 0 ||
            proto_uuid_decode(last, len, &id) < 0)
                return 0;
        if (answer_path(PROTO_KEY_ANSWER_STATE, id.s, 0, path, sizeof(path)) < 0 ||
            store_read(s, path, &state, &len) < 0)
                return 0;
        st = proto_state_from_string(state, len);
        if (st >= 0 && proto_state_is_final((enum proto_state)st))
                return 0;
        log_warning("Request %s was running when the agent stopped.", id.s);
        *ret = id;
        return 1;
}
