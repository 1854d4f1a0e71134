#include "ptv/containers/rootfs_image.hpp"

#include <elf.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "ptv/common/error.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace ptv::containers {

namespace {

// An ELF executable without a PT_INTERP program header needs no dynamic
// loader: it runs in an image that has nothing but itself.
bool is_static_elf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    Elf64_Ehdr eh{};
    if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh)) return false;
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
        return false;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        in.seekg(std::streamoff(eh.e_phoff + uint64_t(i) * eh.e_phentsize));
        if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph)) return false;
        if (ph.p_type == PT_INTERP) return false;
    }
    return true;
}

// `busybox --list-full`: each applet's path, such as "bin/ls" or "usr/bin/env".
std::vector<std::string> applet_paths(const std::string& busybox) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe: " + std::string(strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> args = {busybox, "--list-full"};
    char* argv[] = {args[0].data(), args[1].data(), nullptr};
    pid_t pid = -1;
    const int err = posix_spawn(&pid, busybox.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string text;
    char buf[4096];
    ssize_t n;
    while (err == 0 && (n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, size_t(n));
    ::close(out[0]);
    int status = 0;
    if (err == 0) ::waitpid(pid, &status, 0);
    if (err != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(busybox + " --list-full failed");
    std::vector<std::string> paths;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (!line.empty() && line.find("..") == std::string::npos && line[0] != '/')
            paths.push_back(line);
    return paths;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

// The image's whole content, made in `dir` (a fresh directory).
size_t populate(const fs::path& dir, const std::string& busybox) {
    for (const char* d :
         {"bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "etc", "root", "tmp"})
        fs::create_directories(dir / d);
    fs::permissions(dir / "tmp", fs::perms::all | fs::perms::sticky_bit);
    fs::copy_file(busybox, dir / "bin/busybox");
    fs::permissions(dir / "bin/busybox", fs::perms(0755));
    size_t applets = 0;
    for (const auto& p : applet_paths((dir / "bin/busybox").string())) {
        const fs::path link = dir / p;
        if (p == "bin/busybox" || fs::exists(fs::symlink_status(link))) continue;
        fs::create_directories(link.parent_path());
        fs::create_symlink("/bin/busybox", link);
        ++applets;
    }
    // Names for user and group 0, for `ps` and `id`.
    write_text(dir / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    write_text(dir / "etc/group", "root:x:0:\n");
    return applets;
}

}  // namespace

std::string default_image_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg && *xdg) return std::string(xdg) + "/ptvlab/container-rootfs";
    if (::geteuid() == 0) return "/var/cache/ptvlab/container-rootfs";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/tmp") + "/.cache/ptvlab/container-rootfs";
}

std::string find_static_busybox() {
    for (const char* p : {"/bin/busybox", "/usr/bin/busybox", "/sbin/busybox"}) {
        if (::access(p, X_OK) != 0) continue;
        if (is_static_elf(p)) return p;
        throw UsageError(std::string(p) +
                         " is dynamically linked and cannot run alone in an image; install "
                         "busybox-static (scripts/setup.sh) or give --rootfs DIR");
    }
    throw UsageError(
        "busybox is missing, and the default image is made from it; install busybox-static "
        "(scripts/setup.sh) or give --rootfs DIR");
}

std::string ensure_image(const std::string& dir, const Explain& explain) {
    if (::access((dir + "/bin/busybox").c_str(), X_OK) == 0) return dir;
    const std::string busybox = find_static_busybox();
    const fs::path target(dir);
    fs::create_directories(target.parent_path());
    std::string tmpl = dir + ".tmp-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("cannot make " + tmpl + ": " + std::strerror(errno));
    std::error_code ec;
    try {
        fs::permissions(tmpl, fs::perms(0755));
        const size_t applets = populate(tmpl, busybox);
        // rename() is atomic: a run sees no image or a whole one. When
        // another run got there first, its image stands and ours goes.
        if (::rename(tmpl.c_str(), dir.c_str()) != 0) {
            if (errno != EEXIST && errno != ENOTEMPTY)
                throw std::runtime_error("cannot rename " + tmpl + " to " + dir + ": " +
                                         std::strerror(errno));
            fs::remove_all(tmpl, ec);
        } else {
            explain.step("image: made " + dir + " from " + busybox + " (" +
                         std::to_string(applets) + " applets as links to /bin/busybox)");
        }
    } catch (...) {
        fs::remove_all(tmpl, ec);
        throw;
    }
    return dir;
}

std::string resolve_command(const std::string& root, const std::string& cmd) {
    std::vector<std::string> candidates;
    if (cmd.find('/') != std::string::npos)
        candidates.push_back(cmd[0] == '/' ? cmd : "/" + cmd);
    else
        for (const char* d : {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"})
            candidates.push_back(d + cmd);
    const int rootfd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        throw UsageError(root + ": " + std::strerror(errno) + "; give --rootfs a directory");
    for (const auto& c : candidates) {
        // RESOLVE_IN_ROOT: "/" and ".." and absolute symbolic links (busybox's
        // applets) resolve as they will once root is the container's "/".
        open_how how{};
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT;
        const int fd = int(::syscall(SYS_openat2, rootfd, c.c_str(), &how, sizeof how));
        if (fd < 0) continue;
        struct stat st {};
        const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
        ::close(fd);
        if (ok) {
            ::close(rootfd);
            return c;
        }
    }
    ::close(rootfd);
    throw UsageError(cmd + ": no such command in the container's file system (" + root +
                     "); its commands are the files in " + root +
                     "/bin and /sbin, or give a path inside it");
}

}  // namespace ptv::containers
