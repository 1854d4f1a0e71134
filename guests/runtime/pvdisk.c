/* pvdisk.c -- the PV disk driver (guests/pvdisk.asm is the same in NASM).
 *
 * One queue per VM (PTV_PVDISK_* in ptv/portmap.h): a request ring the
 * guest produces and the device consumes when the doorbell rings
 * (PTV_PVDISK_NOTIFY_PORT; an ioeventfd where the host can, so ringing it
 * costs no exit), and a used ring the device produces. A completion also
 * posts PTV_EVT_PVDISK to the vCPU the request names, which wakes it if it
 * is blocked (evtchn.c). The vCPUs share the queue, so a spinlock guards
 * each ring's guest-side index; any vCPU may take any completion, and the
 * request's own `done` flag tells its owner. */
#include "pvdisk.h"

#include "evtchn.h"
#include "io.h"
#include "ptv/portmap.h"
#include "spinlock.h"

#define QUEUE_SIZE 64 /* a power of two, <= PTV_PVDISK_MAX_SIZE */

struct req {
    uint32_t op, lba, count, buffer, id, vcpu, reserved[2];
};
struct used {
    uint32_t id, status;
};
static struct queue {
    uint32_t magic, size;
    volatile uint32_t req_head, req_tail, used_head, used_tail;
    uint32_t reserved[2];
    struct req req[QUEUE_SIZE];
    volatile struct used used[QUEUE_SIZE];
} queue __attribute__((aligned(4096)));

_Static_assert(sizeof(struct req) == PTV_PVDISK_REQ_SIZE, "request layout");
_Static_assert(sizeof(struct used) == PTV_PVDISK_USED_SIZE, "used layout");
_Static_assert(__builtin_offsetof(struct queue, req) == PTV_PVDISK_OFF_REQ, "queue layout");
_Static_assert(__builtin_offsetof(struct queue, used_tail) == PTV_PVDISK_OFF_USED_TAIL,
               "queue layout");
_Static_assert(sizeof(struct queue) <= 4096, "one page");

static spinlock_t req_lock, used_lock;

void pvdisk_init(void) {
    queue.magic = PTV_PVDISK_MAGIC;
    queue.size = QUEUE_SIZE;
    queue.req_head = queue.req_tail = queue.used_head = queue.used_tail = 0;
    outl(PTV_PVDISK_QUEUE_PORT, (uint32_t)&queue);
}

int pvdisk_submit(struct pvdisk_request* r) {
    spin_lock(&req_lock);
    uint32_t head = queue.req_head;
    if (head - queue.req_tail >= QUEUE_SIZE) {
        spin_unlock(&req_lock);
        return 0;
    }
    r->done = 0;
    struct req* q = &queue.req[head % QUEUE_SIZE];
    q->op = PTV_PVBLK_OP_READ;
    q->lba = r->lba;
    q->count = 1;
    q->buffer = (uint32_t)r->buffer;
    q->id = (uint32_t)r;
    q->vcpu = r->cpu;
    barrier();
    queue.req_head = head + 1; /* publish: x86 keeps the stores in order */
    spin_unlock(&req_lock);
    outl(PTV_PVDISK_NOTIFY_PORT, 0); /* the value does not matter */
    return 1;
}

uint32_t pvdisk_poll(void) {
    uint32_t taken = 0;
    /* A look without the lock first: a computing thread polls often, and
     * reading shared lines costs nothing until the device writes them. */
    if (queue.used_tail == queue.used_head) return 0;
    spin_lock(&used_lock);
    for (uint32_t tail = queue.used_tail; tail != queue.used_head; ++tail) {
        barrier();
        struct pvdisk_request* r = (struct pvdisk_request*)queue.used[tail % QUEUE_SIZE].id;
        r->status = queue.used[tail % QUEUE_SIZE].status;
        barrier();
        r->done = 1;
        queue.used_tail = tail + 1;
        ++taken;
    }
    spin_unlock(&used_lock);
    return taken;
}

uint32_t pvdisk_read(struct pvdisk_request* r) {
    while (!pvdisk_submit(r))
        if (!pvdisk_poll()) evtchn_block(r->cpu);
    while (!r->done)
        if (!pvdisk_poll() && !r->done) evtchn_block(r->cpu);
    barrier(); /* the status and the sector after `done`, not before */
    return r->status;
}
