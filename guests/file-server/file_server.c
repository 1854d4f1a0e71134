/* file_server.c -- a file server inside the guest (Tanenbaum & van Steen
 * 3.3): the host's clients send "GET name" on the host request ring
 * (hostring.h), the server reads the file from the PV disk (files.h) and
 * answers with its bytes. Three designs, as Fig. 3-3's table has them:
 *
 *   iterative          one request at a time: take it, read the file with
 *                      a blocking read (the vCPU halts until the disk is
 *                      done), answer, take the next. No parallelism.
 *   dispatcher-worker  user-level threads on vCPU 0 (many-to-one): a
 *                      dispatcher thread takes requests and hands each to
 *                      one of K worker threads, whose blocking read blocks
 *                      only that thread (uthread_block); the others go on.
 *   fsm                one thread, no blocking call: every request is a
 *                      small state machine (reading, then answered) driven
 *                      by events -- a request came, a sector came.
 *
 * Command line: "ARCH [K]" (K: dispatcher-worker's workers, 1 to 16,
 * default 4). A request with op PTV_HOSTRING_OP_QUIT (no more clients) is
 * answered once everything before it is; then the server prints
 *   "file-server: ARCH, N requests, B bytes\n"
 * (N every GET answered, B the bytes of those found) and ends with the
 * debug exit, status 0. A name not on the disk is answered
 * PTV_HOSTRING_S_NOT_FOUND, an op it does not know
 * PTV_HOSTRING_S_BAD_REQUEST, a read that fails PTV_HOSTRING_S_BAD_REQUEST
 * too. Without a directory in sector 0: "file-server: no file directory
 * on the disk\n", status 1; a command line it does not take: the usage
 * line, status 3. */
#include <stdint.h>

#include "entry.h"
#include "evtchn.h"
#include "files.h"
#include "hostring.h"
#include "io.h"
#include "ptv/portmap.h"
#include "pvdisk.h"
#include "uart.h"
#include "uthread.h"

#define MAX_WORKERS 16

static uint32_t answered, bytes_sent;
static int quitting;
static uint32_t quit_id;

/* Answers one taken request whose file (if any) is read: the one place
 * every design answers a GET. */
static void answer_get(uint32_t id, const struct file_read* r) {
    if (!r->file) {
        hostring_answer(id, PTV_HOSTRING_S_NOT_FOUND, 0, 0);
    } else if (!file_read_ok(r)) {
        hostring_answer(id, PTV_HOSTRING_S_BAD_REQUEST, 0, 0);
    } else {
        hostring_answer(id, PTV_HOSTRING_S_OK, r->data, r->file->bytes);
        bytes_sent += r->file->bytes;
    }
    ++answered;
}

/* A request that needs no disk: anything but a GET. Returns 1 if it was
 * one (answered, or the quit noted). */
static int answer_other(const struct hostring_request* q) {
    if (q->op == PTV_HOSTRING_OP_GET) return 0;
    if (q->op == PTV_HOSTRING_OP_QUIT) {
        quitting = 1;
        quit_id = q->id;
    } else {
        hostring_answer(q->id, PTV_HOSTRING_S_BAD_REQUEST, 0, 0);
    }
    return 1;
}

/* --- iterative ---------------------------------------------------------- */

static struct file_read one;

static void serve_iterative(void) {
    struct hostring_request q;
    while (!quitting) {
        if (!hostring_take(&q)) {
            evtchn_block(0); /* nothing waiting: halt until the host puts one */
            continue;
        }
        if (!answer_other(&q)) {
            one.file = files_find(q.data);
            if (one.file) {
                file_read_start(&one, one.file, 0);
                while (!file_read_done(&one))
                    if (!pvdisk_poll()) evtchn_block(0); /* the blocking read */
            }
            answer_get(q.id, &one);
        }
        hostring_notify();
    }
}

/* --- dispatcher-worker (Fig. 3-3) --------------------------------------- */

static union thread_stack {
    struct uthread t;
    uint8_t bytes[UTHREAD_STACK_SIZE];
} stacks[1 + MAX_WORKERS] __attribute__((aligned(UTHREAD_STACK_SIZE)));
static struct file_read reads[MAX_WORKERS];

/* The work queue between the dispatcher and the workers. */
static struct hostring_request work[HOSTRING_SIZE];
static uint32_t work_head, work_tail;

static int request_or_quit(struct uthread* t) {
    (void)t;
    return hostring_waiting();
}
static int work_or_quit(struct uthread* t) {
    (void)t;
    return work_head != work_tail || quitting;
}
static int read_done(struct uthread* t) {
    return file_read_done((const struct file_read*)t->wait_arg);
}

static void dispatcher(void* arg) {
    (void)arg;
    struct hostring_request q;
    while (!quitting) {
        if (!hostring_take(&q)) {
            uthread_block(request_or_quit, 0);
            continue;
        }
        if (answer_other(&q)) {
            hostring_notify();
            continue;
        }
        /* At most HOSTRING_SIZE requests are unanswered, so there is room. */
        work[work_head++ % HOSTRING_SIZE] = q;
    }
}

static void worker(void* arg) {
    struct file_read* r = &reads[(uint32_t)arg];
    for (;;) {
        if (work_head == work_tail) {
            if (quitting) return;
            uthread_block(work_or_quit, 0);
            continue;
        }
        const struct hostring_request q = work[work_tail++ % HOSTRING_SIZE];
        r->file = files_find(q.data);
        if (r->file) {
            file_read_start(r, r->file, 0);
            uthread_block(read_done, r); /* only this thread waits */
        }
        answer_get(q.id, r);
        hostring_notify();
    }
}

static void serve_dispatcher_worker(uint32_t workers) {
    uthread_create(&stacks[0], 0, 0, dispatcher, 0);
    for (uint32_t k = 0; k < workers; ++k)
        uthread_create(&stacks[1 + k], 1 + k, 0, worker, (void*)k);
    uthread_run(0); /* until the quit, and every worker has finished */
}

/* --- finite-state machine ----------------------------------------------- */

enum state { FREE, READING };
static struct machine {
    enum state state;
    uint32_t id;
    struct file_read read;
} machines[HOSTRING_SIZE];

static void serve_fsm(void) {
    struct hostring_request q;
    for (;;) {
        int progress = 0, reading = 0;
        /* Event: a request came. Start its machine. */
        for (uint32_t m = 0; m < HOSTRING_SIZE && !quitting; ++m) {
            if (machines[m].state != FREE) continue;
            if (!hostring_take(&q)) break;
            progress = 1;
            if (answer_other(&q)) continue;
            struct machine* s = &machines[m];
            s->id = q.id;
            s->read.file = files_find(q.data);
            if (!s->read.file) {
                answer_get(q.id, &s->read);
                continue;
            }
            file_read_start(&s->read, s->read.file, 0);
            s->state = READING;
        }
        /* Event: sectors came. Answer every machine whose file is read. */
        pvdisk_poll();
        for (uint32_t m = 0; m < HOSTRING_SIZE; ++m) {
            struct machine* s = &machines[m];
            if (s->state != READING) continue;
            if (!file_read_done(&s->read)) {
                reading = 1;
                continue;
            }
            answer_get(s->id, &s->read);
            s->state = FREE;
            progress = 1;
        }
        if (progress) hostring_notify();
        if (quitting && !reading) return;
        if (!progress) evtchn_block(0); /* looked for both events: none */
    }
}

/* ------------------------------------------------------------------------- */

static const char* skip_blanks(const char* s) {
    while (*s == ' ') ++s;
    return s;
}
/* The word at s equals w (followed by a blank or the end). */
static const char* word_is(const char* s, const char* w) {
    while (*w && *s == *w) ++s, ++w;
    return *w == 0 && (*s == 0 || *s == ' ') ? s : 0;
}

static __attribute__((noreturn)) void usage(void) {
    uart_puts("file-server: give ARCH [K]: ARCH iterative, dispatcher-worker or fsm, K workers "
              "1 to 16\n");
    debug_exit(3);
}

void guest_main(uint32_t cpu, uint32_t cpus) {
    (void)cpu;
    (void)cpus;
    uart_init();
    const char* s = skip_blanks(boot_cmdline());
    const char* rest;
    int arch = -1;
    uint32_t workers = 4;
    const char* names[] = {"iterative", "dispatcher-worker", "fsm"};
    for (int a = 0; a < 3 && arch < 0; ++a)
        if ((rest = word_is(s, names[a]))) arch = a;
    if (arch < 0) usage();
    rest = skip_blanks(rest);
    if (*rest) {
        workers = 0;
        for (; *rest >= '0' && *rest <= '9' && workers <= MAX_WORKERS; ++rest)
            workers = workers * 10 + (uint32_t)(*rest - '0');
        if (*skip_blanks(rest) || workers < 1 || workers > MAX_WORKERS) usage();
    }

    evtchn_bind(); /* before the ring: its first event must find a page */
    pvdisk_init();
    if (files_load() < 0) {
        uart_puts("file-server: no file directory on the disk\n");
        debug_exit(1);
    }
    hostring_init(0);
    if (arch == 0) serve_iterative();
    if (arch == 1) serve_dispatcher_worker(workers);
    if (arch == 2) serve_fsm();
    hostring_answer(quit_id, PTV_HOSTRING_S_OK, 0, 0);
    hostring_notify();
    hostring_drain(); /* the host has every answer, the quit's too */
    uart_puts("file-server: ");
    uart_puts(names[arch]);
    uart_puts(", ");
    uart_put_dec(answered);
    uart_puts(" requests, ");
    uart_put_dec(bytes_sent);
    uart_puts(" bytes\n");
    debug_exit(0);
}

void ap_main(uint32_t cpu) {
    (void)cpu; /* one vCPU serves: the others stop */
}
