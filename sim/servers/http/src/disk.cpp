// The simulated disk (see disk.hpp).
#include "ptv/servers/http/disk.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"

namespace ptv::servers::http {

namespace {

using Outcome = DiskRead::Outcome;

Outcome outcome_of(int err) {
    switch (err) {
        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG:
            return Outcome::NotFound;
        case EACCES:
        case EPERM:
        case EXDEV:  // RESOLVE_BENEATH: the path (or a link in it) leads outside the root
        case ELOOP:
        case ENXIO:
            return Outcome::Forbidden;
        default:
            return Outcome::Unavailable;  // EMFILE, ENFILE, ENOMEM, EIO, ...
    }
}

// Opens PATH beneath DIRFD and never outside it, links included. O_NONBLOCK:
// opening a FIFO must not block the server (it is refused after fstat).
int open_beneath(int dirfd, const char* path) {
    open_how how{};
    how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return int(fd);
    // Kernels before 5.6: open, then check where the descriptor really is.
    int f = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) return -1;
    char link[64], real[PATH_MAX + 1], base[PATH_MAX + 1];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", f);
    ssize_t n = readlink(link, real, PATH_MAX);
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t m = readlink(link, base, PATH_MAX);
    if (n < 0 || m < 0) {
        close(f);
        errno = EACCES;
        return -1;
    }
    real[n] = base[m] = '\0';
    size_t blen = size_t(m);
    bool inside = std::strncmp(real, base, blen) == 0 && (real[blen] == '/' || real[blen] == 0);
    if (!inside) {
        close(f);
        errno = EXDEV;
        return -1;
    }
    return f;
}

}  // namespace

SimulatedDisk::SimulatedDisk(const std::string& root, std::chrono::microseconds latency,
                             size_t cache_files, int stop_fd)
    : latency_(latency), capacity_(cache_files), stop_fd_(stop_fd) {
    root_fd_ = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0)
        throw UsageError(
            fmt::format("--root {}: {}; give a directory to serve", root, std::strerror(errno)));
}

SimulatedDisk::~SimulatedDisk() {
    if (root_fd_ >= 0) close(root_fd_);
}

SimulatedDisk::FileId SimulatedDisk::id_of(const struct stat& st) {
    return {st.st_dev, st.st_ino, st.st_size, st.st_mtim};
}

// A stat() every kRevalidateNs per cached file: a changed file is read
// again, at the price of a miss. Called with mtx_ held.
bool SimulatedDisk::still_current(Entry& e) {
    const uint64_t now = now_ns();
    if (now - e.checked_ns < kRevalidateNs) return true;
    struct stat st;
    if (fstatat(root_fd_, e.read.name.c_str(), &st, 0) != 0 || !(id_of(st) == e.id)) return false;
    e.checked_ns = now;
    return true;
}

std::optional<DiskRead> SimulatedDisk::lookup(const std::string& path) {
    if (capacity_ == 0) return std::nullopt;
    std::lock_guard lk(mtx_);
    auto it = index_.find(path);
    if (it == index_.end()) return std::nullopt;
    if (!still_current(*it->second)) {
        lru_.erase(it->second);
        index_.erase(it);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    hits_.fetch_add(1, std::memory_order_relaxed);
    DiskRead r = it->second->read;
    r.hit = true;
    return r;
}

DiskRead SimulatedDisk::read(const std::string& path) {
    if (auto hit = lookup(path)) return *hit;
    misses_.fetch_add(1, std::memory_order_relaxed);
    if (latency_.count() > 0) {
        // Wait out the latency, unless the server is stopping.
        timespec ts{time_t(latency_.count() / 1000000), long(latency_.count() % 1000000) * 1000};
        pollfd p{stop_fd_, POLLIN, 0};
        int n;
        while ((n = ppoll(&p, stop_fd_ >= 0 ? 1 : 0, &ts, nullptr)) < 0 && errno == EINTR) {
        }
        if (n > 0) {
            DiskRead stopping;
            stopping.outcome = Outcome::Unavailable;
            stopping.name = path;
            return stopping;
        }
    }
    FileId id;
    DiskRead r = read_file(path, id);
    if (r.outcome == Outcome::Ok && r.validators) insert(path, r, id);
    return r;
}

DiskRead SimulatedDisk::read_file(const std::string& path, FileId& id) const {
    DiskRead r;
    r.name = path;
    int fd = open_beneath(root_fd_, path.empty() ? "." : path.c_str());
    if (fd < 0) return r.outcome = outcome_of(errno), r;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        // A directory is served by its index.html, if it has one; else by
        // its listing if listings are on.
        r.directory = true;
        int index = open_beneath(fd, "index.html");
        int err = errno;
        if (index < 0 && err == ENOENT && list_directories_) {
            DiskRead listing = read_listing(fd, path);
            close(fd);
            return listing;
        }
        close(fd);
        fd = index;
        r.name = path.empty() ? "index.html" : path + "/index.html";
        if (fd < 0) return r.outcome = err == ENOENT ? Outcome::Forbidden : outcome_of(err), r;
        if (fstat(fd, &st) != 0) st.st_mode = 0;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return r.outcome = Outcome::Forbidden, r;
    }
    // Read until the file holds still: the entity tag must name exactly the
    // bytes served (a strong validator), or a resumed download would splice
    // two versions. A file that keeps changing is served without one.
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (size_t(st.st_size) > kMaxFileBytes) {
            close(fd);
            return r.outcome = Outcome::TooLarge, r;
        }
        auto bytes = std::make_shared<std::string>();
        try {
            bytes->resize(size_t(st.st_size));
        } catch (const std::bad_alloc&) {
            close(fd);
            return r.outcome = Outcome::Unavailable, r;
        }
        size_t got = 0;
        while (got < bytes->size()) {
            ssize_t n = pread(fd, bytes->data() + got, bytes->size() - got, off_t(got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // shrank under us: serve what is there
            got += size_t(n);
        }
        bytes->resize(got);
        r.outcome = Outcome::Ok;
        r.bytes = std::move(bytes);
        struct stat after;
        if (fstat(fd, &after) != 0) break;
        if (id_of(after) == id_of(st) && size_t(after.st_size) == got) {
            id = id_of(after);
            r.validators = make_validators(after);
            break;
        }
        st = after;
    }
    close(fd);
    return r;
}

void SimulatedDisk::insert(const std::string& path, const DiskRead& r, const FileId& id) {
    if (capacity_ == 0 || r.bytes->size() > kMaxCachedBytes) return;
    std::lock_guard lk(mtx_);
    auto it = index_.find(path);
    if (it != index_.end()) {  // two misses raced; keep the newer read
        *it->second = {path, r, id, now_ns()};
        lru_.splice(lru_.begin(), lru_, it->second);
        return;
    }
    lru_.push_front({path, r, id, now_ns()});
    index_.emplace(path, lru_.begin());
    while (lru_.size() > capacity_) {
        index_.erase(lru_.back().path);
        lru_.pop_back();
    }
}

}  // namespace ptv::servers::http
