/* files.h -- the file server's files: the directory in sector 0 of the PV
 * disk (PTV_FILEDISK_* in ptv/portmap.h) and a file's read, every sector
 * of it asked for at once so the disk serves them together. */
#ifndef FILE_SERVER_FILES_H
#define FILE_SERVER_FILES_H

#include <stdint.h>

#include "hostring.h"
#include "ptv/portmap.h"
#include "pvdisk.h"

#define FILE_MAX_SECTORS (HOSTRING_MAX_ANSWER / PTV_ATA_SECTOR_SIZE)

struct file_entry {
    char name[PTV_FILEDISK_NAME_MAX + 1];
    uint32_t lba, bytes;
};

/* One file's read in flight: a request per sector, into `data`. */
struct file_read {
    const struct file_entry* file;
    uint32_t sectors;
    struct pvdisk_request req[FILE_MAX_SECTORS];
    uint8_t data[HOSTRING_MAX_ANSWER] __attribute__((aligned(PTV_ATA_SECTOR_SIZE)));
};

/* Reads the directory (a blocking read on vCPU 0): the number of files,
 * or -1 when sector 0 is not a directory. */
int files_load(void);
/* The file called `name`, or 0. A file larger than an answer can hold is
 * not served (it is not found). */
const struct file_entry* files_find(const char* name);
/* Asks for every sector of `f` at once; completions go to vCPU `cpu`. */
void file_read_start(struct file_read* r, const struct file_entry* f, uint32_t cpu);
/* Whether every sector has come (after pvdisk_poll()), and whether each
 * came back OK. */
int file_read_done(const struct file_read* r);
int file_read_ok(const struct file_read* r);

#endif
