/* pvdisk.h -- the asynchronous PV disk's driver: submit a read and go on,
 * take completions later (virtio-blk's split rings in miniature). */
#ifndef PTV_RT_PVDISK_H
#define PTV_RT_PVDISK_H

#include <stdint.h>

/* One outstanding read of one sector. The driver passes its address to the
 * device as the request's id, and the completion names it again. */
struct pvdisk_request {
    uint32_t lba;
    void* buffer;           /* PTV_ATA_SECTOR_SIZE bytes */
    uint32_t cpu;           /* the vCPU the completion's event goes to */
    volatile uint32_t done; /* set (after status) when the completion is taken */
    uint32_t status;        /* PTV_PVBLK_S_* */
};

/* Hands the queue to the device. CPU 0, once, after evtchn_bind(). */
void pvdisk_init(void);
/* Puts the read on the request ring and rings the doorbell; returns 0 if
 * the ring is full (take completions, then try again), else 1. */
int pvdisk_submit(struct pvdisk_request* r);
/* Takes every completion on the used ring, on whichever vCPU calls it, and
 * marks its request done; returns how many. */
uint32_t pvdisk_poll(void);
/* A synchronous read: submit, then halt this vCPU until it is done. */
uint32_t pvdisk_read(struct pvdisk_request* r);

#endif
