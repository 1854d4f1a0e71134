// Rendering DOT through Graphviz's `dot` (see graphviz.hpp).
#include "ptv/common/graphviz.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ptv/common/error.hpp"

extern char** environ;

namespace ptv::graphviz {

namespace {

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

// What running dot left behind.
struct Run {
    int status = 0;  // exit status, or 128 + signal
    std::string out, err;
};

// Runs `exe` with `args`, feeding `input` on its standard input while
// draining its standard output and error, so that neither side blocks on
// a full pipe. The input goes through a socket so that a dot that dies
// early is an EPIPE for us, not a SIGPIPE that would kill the kit.
Run run_program(const std::string& exe, const std::vector<std::string>& args,
                const std::string& input, const std::string& option, const std::string& path) {
    int in[2], out[2], err[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        throw UsageError(fmt::format("{} {}: cannot run dot ({})", option, path, strerror(errno)));
    Fd in_parent(in[0]), in_child(in[1]);
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw UsageError(fmt::format("{} {}: cannot run dot ({})", option, path, strerror(errno)));
    Fd out_parent(out[0]), out_child(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0)
        throw UsageError(fmt::format("{} {}: cannot run dot ({})", option, path, strerror(errno)));
    Fd err_parent(err[0]), err_child(err[1]);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_child.fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_child.fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_child.fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        throw UsageError(
            fmt::format("{} {}: cannot run {} ({}); install Graphviz with "
                        "scripts/setup.sh",
                        option, path, exe, strerror(rc)));
    in_child.reset();
    out_child.reset();
    err_child.reset();

    Run run;
    size_t sent = 0;
    if (input.empty()) in_parent.reset();
    while (out_parent.fd >= 0 || err_parent.fd >= 0) {
        pollfd fds[3] = {
            {in_parent.fd, POLLOUT, 0}, {out_parent.fd, POLLIN, 0}, {err_parent.fd, POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (in_parent.fd >= 0 && fds[0].revents) {
            const ssize_t n = ::send(in_parent.fd, input.data() + sent, input.size() - sent,
                                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) sent += size_t(n);
            // All sent, or dot stopped reading: end of file for it.
            if (sent == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR))
                in_parent.reset();
        }
        Fd* readers[2] = {&out_parent, &err_parent};
        std::string* into[2] = {&run.out, &run.err};
        for (int i = 0; i < 2; ++i) {
            if (readers[i]->fd < 0 || !fds[i + 1].revents) continue;
            char buf[65536];
            const ssize_t n = ::read(readers[i]->fd, buf, sizeof buf);
            if (n > 0)
                into[i]->append(buf, size_t(n));
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                readers[i]->reset();
        }
    }
    in_parent.reset();
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    run.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return run;
}

std::string first_line(const std::string& text) {
    const size_t end = text.find('\n');
    return text.substr(0, end);
}

}  // namespace

std::string_view flag(Format f) {
    return f == Format::Svg ? "--svg" : "--png";
}

std::string DotProgram::locate() {
    const char* env = std::getenv("PATH");
    const std::string path = env ? env : "/usr/bin:/bin";
    size_t from = 0;
    for (;;) {
        const size_t colon = path.find(':', from);
        std::string dir = path.substr(from, colon == std::string::npos ? colon : colon - from);
        if (dir.empty()) dir = ".";  // POSIX: an empty entry is the current directory
        const std::string candidate = dir + "/dot";
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (colon == std::string::npos) return "";
        from = colon + 1;
    }
}

void DotProgram::check(Format f, const std::string& path) const {
    if (locate().empty())
        throw UsageError(fmt::format("{} {} needs Graphviz's dot; install it with scripts/setup.sh",
                                     flag(f), path));
}

std::string DotProgram::render(const std::string& dot, Format f, const std::string& path) const {
    const std::string exe = locate();
    if (exe.empty()) check(f, path);  // throws
    const std::string option(flag(f));
    Run run = run_program(exe, {"dot", f == Format::Svg ? "-Tsvg" : "-Tpng"}, dot, option, path);
    if (run.status != 0) {
        const std::string why = run.err.empty()
                                    ? fmt::format("it exited with status {}", run.status)
                                    : first_line(run.err);
        throw UsageError(fmt::format("{} {}: Graphviz's dot failed: {}", option, path, why));
    }
    if (run.out.empty())
        throw UsageError(fmt::format("{} {}: Graphviz's dot drew nothing: {}", option, path,
                                     run.err.empty() ? "no output" : first_line(run.err)));
    return std::move(run.out);
}

void add_options(CLI::App& cmd, Paths& paths, const std::string& what) {
    cmd.add_option("--dot", paths.dot, fmt::format("write {} as Graphviz (DOT) to FILE", what));
    cmd.add_option("--svg", paths.svg,
                   fmt::format("draw {} as SVG to FILE (through Graphviz's dot)", what));
    cmd.add_option("--png", paths.png,
                   fmt::format("draw {} as PNG to FILE (through Graphviz's dot)", what));
}

Drawing::Drawing(const Paths& paths, std::shared_ptr<const Renderer> renderer)
    : renderer_(std::move(renderer)) {
    // The renderer first: a missing dot creates no file at all.
    if (!paths.svg.empty()) renderer_->check(Format::Svg, paths.svg);
    if (!paths.png.empty()) renderer_->check(Format::Png, paths.png);
    auto open_file = [&](const char* option, const std::string& path, bool render, Format f) {
        if (path.empty()) return;
        std::FILE* stream = std::fopen(path.c_str(), "wb");
        if (!stream)
            throw UsageError(fmt::format("{} {}: cannot open it for writing ({}); check the path",
                                         option, path, strerror(errno)));
        files_.push_back({option, path, stream, render, f});
    };
    try {
        open_file("--dot", paths.dot, false, Format::Svg);
        open_file("--svg", paths.svg, true, Format::Svg);
        open_file("--png", paths.png, true, Format::Png);
    } catch (...) {
        discard();  // the files opened so far go again
        throw;
    }
}

Drawing::~Drawing() {
    discard();
}

void Drawing::discard() {
    // A file still open was never written completely: it goes.
    for (auto& f : files_)
        if (f.stream) {
            std::fclose(f.stream);
            std::remove(f.path.c_str());
            f.stream = nullptr;
        }
    files_.clear();
}

void Drawing::write(const std::string& dot) {
    for (auto& f : files_) {
        const std::string bytes = f.render ? renderer_->render(dot, f.format, f.path) : dot;
        const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f.stream) == bytes.size();
        const bool closed = std::fclose(f.stream) == 0;
        f.stream = nullptr;
        if (!ok || !closed) {
            std::remove(f.path.c_str());
            throw UsageError(
                fmt::format("{} {}: the write failed; check the disk", f.option, f.path));
        }
    }
}

std::string escape_string(std::string_view text) {
    std::string s;
    for (char c : text) {
        if (c == '"' || c == '\\') s += '\\';
        if (c == '\n')
            s += "\\n";
        else
            s += c;
    }
    return s;
}

}  // namespace ptv::graphviz
