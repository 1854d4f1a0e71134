#include "ptv/migration/protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/migration/precopy_policy.hpp"

namespace ptv::migration {

std::string mode_name(Mode m) {
    switch (m) {
        case Mode::PreCopy:
            return "precopy";
        case Mode::StopAndCopy:
            return "stopcopy";
        case Mode::PostCopy:
            return "postcopy";
    }
    return "?";
}

Mode parse_mode(const std::string& name) {
    if (name == "precopy") return Mode::PreCopy;
    if (name == "stopcopy") return Mode::StopAndCopy;
    if (name == "postcopy") return Mode::PostCopy;
    throw UsageError(fmt::format("unknown mode '{}': use precopy, stopcopy or postcopy", name));
}

std::string frame_name(Frame f) {
    static const char* names[] = {"?",     "accept",  "refuse",       "pages", "state",
                                  "ready", "go",      "page-request", "done",  "digest",
                                  "image", "started", "error"};
    const auto i = uint32_t(f);
    return i < std::size(names) ? names[i] : fmt::format("frame {}", i);
}

Connection::Connection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}

Connection::~Connection() {
    if (fd_ >= 0) ::close(fd_);
}

double Connection::receive_timeout_s() const {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (::getsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) < 0) return 0;
    return double(tv.tv_sec) + double(tv.tv_usec) / 1e6;
}

int Connection::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

void Connection::write_all(const void* data, size_t bytes) {
    std::pair<const void*, size_t> part{data, bytes};
    write_iov({&part, 1});
}

void Connection::write_iov(std::span<const std::pair<const void*, size_t>> parts) {
    std::vector<iovec> iov;
    iov.reserve(parts.size());
    for (auto [p, n] : parts)
        if (n) iov.push_back({const_cast<void*>(p), n});
    size_t i = 0;
    while (i < iov.size()) {
        // At most IOV_MAX (1024) entries per call.
        const int cnt = int(std::min<size_t>(iov.size() - i, 1024));
        // sendmsg, not writev: MSG_NOSIGNAL turns a reset peer into EPIPE
        // instead of a SIGPIPE that would end the whole worker.
        msghdr msg{};
        msg.msg_iov = iov.data() + i;
        msg.msg_iovlen = size_t(cnt);
        ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw ProtocolError(fmt::format("connection to {} lost while sending: {}", peer_,
                                            n < 0 ? std::strerror(errno) : "closed"));
        size_t left = size_t(n);
        while (left && i < iov.size()) {
            if (left >= iov[i].iov_len) {
                left -= iov[i].iov_len;
                ++i;
            } else {
                iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
                iov[i].iov_len -= left;
                left = 0;
            }
        }
    }
}

void Connection::read_all(void* data, size_t bytes) {
    auto* p = static_cast<uint8_t*>(data);
    while (bytes) {
        ssize_t n = ::recv(fd_, p, bytes, MSG_WAITALL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            throw ProtocolError(
                fmt::format("{} sent nothing for {:.1f} s (timeout)", peer_, receive_timeout_s()));
        if (n <= 0)
            throw ProtocolError(fmt::format("connection to {} lost: {}", peer_,
                                            n < 0 ? std::strerror(errno) : "closed by the peer"));
        p += n;
        bytes -= size_t(n);
    }
}

void Connection::send_frame(Frame type, const void* payload, uint64_t length, uint32_t count) {
    FrameHeader h{uint32_t(type), count, length};
    std::pair<const void*, size_t> parts[] = {{&h, sizeof h}, {payload, size_t(length)}};
    write_iov(parts);
}

void Connection::send_json(Frame type, const nlohmann::json& j) {
    const std::string s = j.dump();
    send_frame(type, s.data(), s.size());
}

FrameHeader Connection::read_header() {
    FrameHeader h;
    read_all(&h, sizeof h);
    if (h.type == 0 || h.type > uint32_t(Frame::Error))
        throw ProtocolError(
            fmt::format("{} broke the protocol: unknown frame type {}", peer_, h.type));
    return h;
}

std::vector<uint8_t> Connection::read_payload(const FrameHeader& h, uint64_t limit) {
    if (h.length > limit)
        throw ProtocolError(
            fmt::format("{} broke the protocol: a {} frame of {} bytes (at most {})", peer_,
                        frame_name(Frame(h.type)), h.length, limit));
    std::vector<uint8_t> v(h.length);
    read_all(v.data(), v.size());
    return v;
}

nlohmann::json Connection::read_json(const FrameHeader& h) {
    const auto bytes = read_payload(h, 64 << 20);
    auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (j.is_discarded())
        throw ProtocolError(fmt::format("{} broke the protocol: a {} frame that is not JSON", peer_,
                                        frame_name(Frame(h.type))));
    return j;
}

namespace {

std::pair<std::string, std::string> split_host_port(const std::string& hp) {
    const auto colon = hp.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == hp.size())
        throw UsageError(fmt::format("'{}' is not HOST:PORT (e.g. 10.0.0.2:7070)", hp));
    std::string host = hp.substr(0, colon);
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return {host, hp.substr(colon + 1)};
}

}  // namespace

namespace {

// A numeric IPv4 or IPv6 address ("localhost" too). No name service: ptv
// is a static binary, and glibc's resolver cannot be linked statically.
sockaddr_storage numeric_address(std::string host, const std::string& port_text, socklen_t& len) {
    char* end = nullptr;
    const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
    if (port_text.empty() || *end || port > 65535)
        throw UsageError(fmt::format("'{}' is not a port number", port_text));
    if (host == "localhost") host = "127.0.0.1";
    sockaddr_storage ss{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(uint16_t(port));
        len = sizeof *v4;
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(uint16_t(port));
        len = sizeof *v6;
    } else {
        throw UsageError(fmt::format("'{}' is not an IP address; give one, e.g. 10.0.0.2", host));
    }
    return ss;
}

}  // namespace

void check_host_port(const std::string& host_port) {
    auto [host, port] = split_host_port(host_port);
    socklen_t len = 0;
    (void)numeric_address(host, port, len);
}

int connect_tcp(const std::string& host_port, double timeout_s) {
    auto [host, port] = split_host_port(host_port);
    socklen_t len = 0;
    const sockaddr_storage ss = numeric_address(host, port, len);
    int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw ProtocolError(fmt::format("socket: {}", std::strerror(errno)));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0) {
        const int e = errno;
        ::close(fd);
        throw ProtocolError(
            fmt::format("cannot connect to {}: {} (is 'ptv migrate listen' "
                        "running there?)",
                        host_port, std::strerror(e)));
    }
    set_path_timeout(fd, timeout_s);
    return fd;
}

void set_path_timeout(int fd, double timeout_s) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Unacknowledged data for longer than this: the path is dead.
    unsigned user_timeout_ms = unsigned(timeout_s * 1000);
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
    timeval tv{long(timeout_s), long((timeout_s - double(long(timeout_s))) * 1e6)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int listen_tcp(const std::string& address, uint16_t port) {
    socklen_t len = 0;
    const sockaddr_storage ss = numeric_address(address, std::to_string(port), len);
    int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0 ||
        ::listen(fd, 8) < 0) {
        const int e = errno;
        if (fd >= 0) ::close(fd);
        throw UsageError(fmt::format("cannot listen on {} port {}: {} (choose another --port)",
                                     address, port, std::strerror(e)));
    }
    return fd;
}

uint16_t local_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

std::string peer_name(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return "peer";
    char host[INET6_ADDRSTRLEN] = "?";
    uint16_t port = 0;
    if (ss.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        return fmt::format("[{}]:{}", host, port);
    }
    if (ss.ss_family != AF_INET) return "local peer";
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(a->sin_port));
}

Session accept_session(Connection& c) {
    Session s;
    c.read_all(&s.hello, sizeof s.hello);
    if (std::string why = check_hello(s.hello); !why.empty()) {
        try {
            c.send_frame(Frame::Refuse, why.data(), why.size());
        } catch (const ProtocolError&) {
        }
        throw ProtocolError(fmt::format("{} from {}", why, c.peer()));
    }
    std::string meta(s.hello.meta_length, '\0');
    c.read_all(meta.data(), meta.size());
    s.meta = nlohmann::json::parse(meta, nullptr, false);
    if (!s.meta.is_object()) {
        const std::string why = "the hello's meta is not a JSON object: refused";
        c.send_frame(Frame::Refuse, why.data(), why.size());
        throw ProtocolError(fmt::format("{} from {}", why, c.peer()));
    }
    return s;
}

nlohmann::json open_session(Connection& c, Kind kind, Mode mode, uint64_t memory_bytes,
                            const nlohmann::json& meta) {
    const std::string m = meta.dump();
    Hello h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.version = kProtocolVersion;
    h.kind = uint32_t(kind);
    h.mode = uint32_t(mode);
    h.meta_length = uint32_t(m.size());
    h.memory_bytes = memory_bytes;
    std::pair<const void*, size_t> parts[] = {{&h, sizeof h}, {m.data(), m.size()}};
    c.write_iov(parts);
    const FrameHeader r = c.read_header();
    if (Frame(r.type) == Frame::Refuse || Frame(r.type) == Frame::Error) {
        const auto why = c.read_payload(r, 4096);
        throw ProtocolError(
            fmt::format("{} refused: {}", c.peer(), std::string(why.begin(), why.end())));
    }
    if (Frame(r.type) != Frame::Accept)
        throw ProtocolError(fmt::format("{} broke the protocol: {} instead of accept", c.peer(),
                                        frame_name(Frame(r.type))));
    return c.read_json(r);
}

std::string check_hello(const Hello& h) {
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
        return "not a ptvlab migration stream (bad magic): refused";
    if (h.version != kProtocolVersion)
        return fmt::format(
            "protocol version {} is not supported (this side speaks {}): "
            "update ptvlab on both sides",
            h.version, kProtocolVersion);
    if (h.kind != uint32_t(Kind::Live) && h.kind != uint32_t(Kind::Ship))
        return fmt::format("unknown session kind {}: refused", h.kind);
    if (h.mode > uint32_t(Mode::PostCopy)) return fmt::format("unknown mode {}: refused", h.mode);
    if (h.meta_length > kMaxMetaLength) return "oversized hello: refused";
    if (h.memory_bytes < (2u << 20) || h.memory_bytes % (1u << 20))
        return fmt::format("a guest memory size of {} bytes is not valid: refused", h.memory_bytes);
    return "";
}

std::string boot_id() {
    std::FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f) return "";
    char buf[64] = {};
    const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    std::string id(buf, n);
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
}

uint64_t page_hash(const uint8_t* page) {
    return memory_hash({page, kPageSize});
}

uint64_t zero_page_hash() {
    static const uint64_t h = [] {
        static const uint8_t zero[kPageSize] = {};
        return page_hash(zero);
    }();
    return h;
}

uint64_t digest_of(std::span<const uint64_t> page_hashes) {
    return memory_hash(
        {reinterpret_cast<const uint8_t*>(page_hashes.data()), page_hashes.size_bytes()});
}

uint64_t memory_digest(std::span<const uint8_t> memory) {
    std::vector<uint64_t> hashes(memory.size() / kPageSize);
    for (size_t i = 0; i < hashes.size(); ++i) hashes[i] = page_hash(memory.data() + i * kPageSize);
    return digest_of(hashes);
}

bool is_zero_page(const uint8_t* page) {
    uint64_t acc = 0;
    for (size_t i = 0; i < kPageSize; i += 8) {
        uint64_t w;
        std::memcpy(&w, page + i, 8);
        acc |= w;
    }
    return acc == 0;
}

}  // namespace ptv::migration
