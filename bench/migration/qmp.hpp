// A QMP client (QEMU Machine Protocol) on a Unix socket: JSON objects, one
// per line. The greeting first, then {"execute":"qmp_capabilities"} to
// leave negotiation mode, then commands, each answered by a "return" or an
// "error". Asynchronous {"event":...} messages may arrive at any time in
// between; they are skipped (and kept, for whoever asks).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::bench {

class Qmp {
  public:
    // Connects to the socket QEMU created with -qmp unix:PATH,server=on,
    // wait=off, waiting up to timeout_s for it to appear, and negotiates.
    Qmp(const std::string& socket_path, double timeout_s);
    ~Qmp();
    Qmp(const Qmp&) = delete;
    Qmp& operator=(const Qmp&) = delete;

    // Runs a command; returns its "return" value. Throws std::runtime_error
    // with QEMU's "desc" on an "error", or if no answer comes in timeout_s.
    nlohmann::json execute(const std::string& command,
                           const nlohmann::json& arguments = nlohmann::json::object(),
                           double timeout_s = 30);

    // Names of the events seen so far ("STOP", "RESUME", ...).
    const std::vector<std::string>& events() const { return events_; }

  private:
    nlohmann::json read_message(double timeout_s);

    int fd_ = -1;
    std::string buffer_;
    std::vector<std::string> events_;
};

}  // namespace ptv::bench
