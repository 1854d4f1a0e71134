/* hostring.c -- the host request ring's driver (hostring.h). Like the PV
 * disk's queue (pvdisk.c) with the roles turned round: the host produces
 * requests and the guest consumes them; the guest produces answers. Every
 * index the host moves is read once per look. */
#include "hostring.h"

#include "io.h"

struct req {
    uint32_t id, op, length, reserved;
    uint8_t data[PTV_HOSTRING_REQ_DATA_MAX];
};
struct resp {
    uint32_t id, status, buffer, length;
};
static struct queue {
    uint32_t magic, size;
    volatile uint32_t req_head, req_tail, resp_head, resp_tail;
    uint32_t vcpu, reserved;
    volatile struct req req[HOSTRING_SIZE];
    struct resp resp[HOSTRING_SIZE];
} queue __attribute__((aligned(4096)));

_Static_assert(sizeof(struct req) == PTV_HOSTRING_REQ_SIZE, "request layout");
_Static_assert(sizeof(struct resp) == PTV_HOSTRING_RESP_SIZE, "response layout");
_Static_assert(__builtin_offsetof(struct queue, req) == PTV_HOSTRING_OFF_REQ, "queue layout");
_Static_assert(__builtin_offsetof(struct queue, vcpu) == PTV_HOSTRING_OFF_VCPU, "queue layout");
_Static_assert(sizeof(struct queue) <= 4096, "one page");
_Static_assert(HOSTRING_SIZE <= PTV_HOSTRING_MAX_SIZE, "ring size");

/* Answer k's bytes live in buffers[k % size]: the host puts a request only
 * while fewer than `size` are unanswered, so by the time answer k + size is
 * written the host has taken answer k, and its buffer is free. */
static uint8_t buffers[HOSTRING_SIZE][HOSTRING_MAX_ANSWER];

void hostring_init(uint32_t listener) {
    queue.magic = PTV_HOSTRING_MAGIC;
    queue.size = HOSTRING_SIZE;
    queue.req_head = queue.req_tail = queue.resp_head = queue.resp_tail = 0;
    queue.vcpu = listener;
    outl(PTV_HOSTRING_QUEUE_PORT, (uint32_t)&queue);
}

int hostring_waiting(void) {
    return queue.req_tail != queue.req_head;
}

int hostring_take(struct hostring_request* r) {
    const uint32_t tail = queue.req_tail;
    if (tail == queue.req_head) return 0;
    barrier(); /* the entry after the index that published it */
    const volatile struct req* q = &queue.req[tail % HOSTRING_SIZE];
    r->id = q->id;
    r->op = q->op;
    r->length = q->length > PTV_HOSTRING_REQ_DATA_MAX ? PTV_HOSTRING_REQ_DATA_MAX : q->length;
    for (uint32_t i = 0; i < r->length; ++i) r->data[i] = (char)q->data[i];
    r->data[r->length] = 0;
    barrier();
    queue.req_tail = tail + 1;
    return 1;
}

void hostring_answer(uint32_t id, uint32_t status, const void* bytes, uint32_t length) {
    const uint32_t head = queue.resp_head;
    uint8_t* buffer = buffers[head % HOSTRING_SIZE];
    if (length > HOSTRING_MAX_ANSWER) length = HOSTRING_MAX_ANSWER;
    for (uint32_t i = 0; i < length; ++i) buffer[i] = ((const uint8_t*)bytes)[i];
    struct resp* a = &queue.resp[head % HOSTRING_SIZE];
    a->id = id;
    a->status = status;
    a->buffer = (uint32_t)buffer;
    a->length = length;
    barrier();
    queue.resp_head = head + 1; /* publish: x86 keeps the stores in order */
}

void hostring_notify(void) {
    outl(PTV_HOSTRING_NOTIFY_PORT, 0); /* the value does not matter */
}

void hostring_drain(void) {
    while (queue.resp_tail != queue.resp_head) cpu_relax();
}
