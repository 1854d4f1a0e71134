#include "ptv/worker/snapshot_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ptv/common/memory_hash.hpp"

namespace fs = std::filesystem;

namespace ptv::worker {

namespace {

// Big enough that a write is mostly copying, small enough to stay in cache
// for the hash that follows it.
constexpr size_t kChunk = 4u << 20;

void write_all(int fd, const uint8_t* p, size_t n, const std::string& what) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw SnapshotError(fmt::format("{}: {}", what, std::strerror(errno)));
        p += w;
        n -= size_t(w);
    }
}

void write_file(const std::string& path, std::span<const uint8_t> bytes, uint64_t* hash) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw SnapshotError(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    try {
        // The hash is FNV over the whole of RAM, chained chunk by chunk the
        // way memory_hash() runs, while the chunk is still in cache.
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t off = 0; off < bytes.size(); off += kChunk) {
            const size_t n = std::min(kChunk, bytes.size() - off);
            write_all(fd, bytes.data() + off, n, fmt::format("writing {}", path));
            if (hash) h = memory_hash_continue(h, bytes.subspan(off, n));
        }
        if (hash) *hash = h;
        if (::close(fd) < 0)
            throw SnapshotError(fmt::format("writing {}: {}", path, std::strerror(errno)));
    } catch (...) {
        ::close(fd);
        throw;
    }
}

std::string corrupt(const std::string& dir, const std::string& why) {
    return fmt::format("snapshot {} is corrupt: {}", dir, why);
}

}  // namespace

std::string hex_encode(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s(bytes.size() * 2, '0');
    for (size_t i = 0; i < bytes.size(); ++i) {
        s[2 * i] = kDigits[bytes[i] >> 4];
        s[2 * i + 1] = kDigits[bytes[i] & 15];
    }
    return s;
}

std::vector<uint8_t> hex_decode(const std::string& text) {
    if (text.size() % 2) throw std::invalid_argument("hex text of odd length");
    auto nibble = [](char c) -> uint8_t {
        if (c >= '0' && c <= '9') return uint8_t(c - '0');
        if (c >= 'a' && c <= 'f') return uint8_t(c - 'a' + 10);
        if (c >= 'A' && c <= 'F') return uint8_t(c - 'A' + 10);
        throw std::invalid_argument(fmt::format("'{}' is not a hex digit", c));
    };
    std::vector<uint8_t> out(text.size() / 2);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = uint8_t(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
    return out;
}

void write_snapshot(const std::string& dir, nlohmann::json state, std::span<const uint8_t> memory) {
    const std::string tmp = fmt::format("{}.tmp-{}", dir, ::getpid());
    std::error_code ec;
    fs::remove_all(tmp, ec);
    if (::mkdir(tmp.c_str(), 0700) < 0)
        throw SnapshotError(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
    try {
        uint64_t hash = 0;
        write_file(tmp + "/" + kSnapshotMemoryFile, memory, &hash);
        state["format"] = kSnapshotFormat;
        state["version"] = kSnapshotVersion;
        state["memory"] = {{"file", kSnapshotMemoryFile},
                           {"bytes", memory.size()},
                           {"hash", memory_hash_text(hash)}};
        const std::string text = state.dump(1) + "\n";
        write_file(tmp + "/" + kSnapshotStateFile,
                   {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, nullptr);
        // Into place: swap with an older snapshot of the same name (then
        // drop it), or a plain rename when there is none.
        if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
            fs::remove_all(tmp, ec);
        } else if (::rename(tmp.c_str(), dir.c_str()) < 0) {
            throw SnapshotError(
                fmt::format("cannot move {} into place: {}", dir, std::strerror(errno)));
        }
    } catch (const SnapshotError& e) {
        fs::remove_all(tmp, ec);
        throw SnapshotError(fmt::format("snapshot not written ({}); any older snapshot {} is kept",
                                        e.what(), fs::path(dir).filename().string()));
    }
}

nlohmann::json read_snapshot_state(const std::string& dir) {
    const std::string path = dir + "/" + kSnapshotStateFile;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw SnapshotError(fmt::format("snapshot {} has no {}: {}", dir, kSnapshotStateFile,
                                        std::strerror(errno)));
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw SnapshotError(
            corrupt(dir, fmt::format("{} is not a JSON object", kSnapshotStateFile)));
    if (j.value("format", "") != kSnapshotFormat)
        throw SnapshotError(
            corrupt(dir, fmt::format("{} is not a ptvlab snapshot", kSnapshotStateFile)));
    if (!j["version"].is_number_integer() || j["version"].get<int>() != kSnapshotVersion)
        throw SnapshotError(fmt::format("snapshot {} has format version {}, this ptvlab reads {}",
                                        dir, j["version"].dump(), kSnapshotVersion));
    const auto& m = j["memory"];
    if (!m.is_object() || !m["bytes"].is_number_unsigned() || !m["hash"].is_string() ||
        !m["file"].is_string() || m["file"] != kSnapshotMemoryFile)
        throw SnapshotError(corrupt(dir, "the memory record is missing or malformed"));
    if (!j["vcpus"].is_array() || j["vcpus"].empty() || !j["devices"].is_object())
        throw SnapshotError(corrupt(dir, "the vCPU or device records are missing"));
    struct stat st {};
    const std::string mem = dir + "/" + kSnapshotMemoryFile;
    if (::stat(mem.c_str(), &st) < 0)
        throw SnapshotError(
            corrupt(dir, fmt::format("{}: {}", kSnapshotMemoryFile, std::strerror(errno))));
    const uint64_t want = m["bytes"].get<uint64_t>();
    if (uint64_t(st.st_size) != want)
        throw SnapshotError(
            corrupt(dir, fmt::format("{} has {} bytes, the state says {} (truncated?)",
                                     kSnapshotMemoryFile, st.st_size, want)));
    return j;
}

void read_snapshot_memory(const std::string& dir, const nlohmann::json& state,
                          std::span<uint8_t> into) {
    const std::string path = dir + "/" + kSnapshotMemoryFile;
    const uint64_t bytes = state["memory"]["bytes"].get<uint64_t>();
    if (bytes != into.size())
        throw SnapshotError(fmt::format("snapshot {} holds {} MiB of RAM, the VM has {} MiB", dir,
                                        bytes >> 20, into.size() >> 20));
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw SnapshotError(corrupt(dir, fmt::format("{}: {}", path, std::strerror(errno))));
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t off = 0; off < into.size();) {
        const size_t n = std::min(kChunk, into.size() - off);
        const ssize_t r = ::read(fd, into.data() + off, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            ::close(fd);
            throw SnapshotError(corrupt(dir, fmt::format("{} ends early", kSnapshotMemoryFile)));
        }
        h = memory_hash_continue(h, into.subspan(off, size_t(r)));
        off += size_t(r);
    }
    ::close(fd);
    if (memory_hash_text(h) != state["memory"]["hash"].get<std::string>())
        throw SnapshotError(
            corrupt(dir, fmt::format("{} does not match its hash {}", kSnapshotMemoryFile,
                                     state["memory"]["hash"].get<std::string>())));
}

}  // namespace ptv::worker
