/* files.c -- the directory and a file's read (files.h). */
#include "files.h"

#include "evtchn.h"
#include "io.h"

static struct file_entry directory[PTV_FILEDISK_MAX_FILES];
static uint32_t file_count;
static uint8_t sector0[PTV_ATA_SECTOR_SIZE] __attribute__((aligned(PTV_ATA_SECTOR_SIZE)));

static uint32_t word(const uint8_t* p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int files_load(void) {
    struct pvdisk_request r = {.lba = 0, .buffer = sector0, .cpu = 0};
    if (pvdisk_read(&r) != PTV_PVBLK_S_OK) return -1;
    if (word(sector0 + PTV_FILEDISK_OFF_MAGIC) != PTV_FILEDISK_MAGIC) return -1;
    const uint32_t count = word(sector0 + PTV_FILEDISK_OFF_COUNT);
    if (count > PTV_FILEDISK_MAX_FILES) return -1;
    for (uint32_t i = 0; i < count; ++i) {
        const uint8_t* e = sector0 + PTV_FILEDISK_OFF_ENTRY + i * PTV_FILEDISK_ENTRY_SIZE;
        for (uint32_t c = 0; c < PTV_FILEDISK_NAME_MAX; ++c)
            directory[i].name[c] = (char)e[PTV_FILEDISK_ENTRY_NAME + c];
        directory[i].name[PTV_FILEDISK_NAME_MAX] = 0;
        directory[i].lba = word(e + PTV_FILEDISK_ENTRY_LBA);
        directory[i].bytes = word(e + PTV_FILEDISK_ENTRY_BYTES);
    }
    file_count = count;
    return (int)count;
}

static int same_name(const char* a, const char* b) {
    uint32_t i = 0;
    for (; i < PTV_FILEDISK_NAME_MAX && a[i] && a[i] == b[i]; ++i) continue;
    return i == PTV_FILEDISK_NAME_MAX || a[i] == b[i];
}

const struct file_entry* files_find(const char* name) {
    for (uint32_t i = 0; i < file_count; ++i)
        if (same_name(directory[i].name, name) && directory[i].bytes <= HOSTRING_MAX_ANSWER)
            return &directory[i];
    return 0;
}

void file_read_start(struct file_read* r, const struct file_entry* f, uint32_t cpu) {
    r->file = f;
    r->sectors = (f->bytes + PTV_ATA_SECTOR_SIZE - 1) / PTV_ATA_SECTOR_SIZE;
    for (uint32_t s = 0; s < r->sectors; ++s) {
        struct pvdisk_request* q = &r->req[s];
        q->lba = f->lba + s;
        q->buffer = r->data + s * PTV_ATA_SECTOR_SIZE;
        q->cpu = cpu;
        /* The disk's ring is full: take completions until there is room. */
        while (!pvdisk_submit(q))
            if (!pvdisk_poll()) evtchn_block(cpu);
    }
}

int file_read_done(const struct file_read* r) {
    for (uint32_t s = 0; s < r->sectors; ++s)
        if (!r->req[s].done) return 0;
    barrier(); /* the sectors after `done`, not before */
    return 1;
}

int file_read_ok(const struct file_read* r) {
    for (uint32_t s = 0; s < r->sectors; ++s)
        if (r->req[s].status != PTV_PVBLK_S_OK) return 0;
    return 1;
}
