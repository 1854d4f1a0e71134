// The worker's front end for the host request ring (devices/host_ring.hpp):
// a process outside the worker is the guest server's clients. It hands
// ptv-vmwp one end of a connected stream socket (a socketpair;
// --requests-fd FD) and speaks a line protocol on it:
//
//   client -> worker   "ID GET NAME\n"  or  "ID QUIT\n"
//   worker -> client   "ID STATUS LENGTH\n" and then LENGTH raw bytes
//
// ID is the client's own tag, 1 to 32 printable bytes without blanks, given
// back with the answer; the worker does not look at it otherwise (clients
// of their own may send the same one twice). NAME is 1 to
// PTV_HOSTRING_REQ_DATA_MAX bytes without blanks: the request's data, as
// the guest receives it with op PTV_HOSTRING_OP_GET. QUIT (op
// PTV_HOSTRING_OP_QUIT) tells a server guest there are no more clients: it
// answers what it has, then this, and ends its run. STATUS and the bytes
// are the guest's answer (PTV_HOSTRING_S_*). Answers come in the order the
// guest gives them, not the order asked: a client that keeps several
// requests out matches them by ID. A line the worker cannot read (another
// op, a NAME too long, a missing field, more than kMaxLine bytes) is
// answered at once "ID 2 0" (PTV_HOSTRING_S_BAD_REQUEST; ID "-" when the
// line has none) and the next line is read. End of file from the client
// means no more requests; the guest runs on and the answers still due are
// written. A client that goes away loses its answers, nothing else.
//
// Threads: a reader thread of its own turns lines into HostRing::send();
// the answers are written from whichever thread takes them (the doorbell's:
// the vCPU's, or the dispatch strategy's), one whole answer at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ptv/devices/host_ring.hpp"

namespace ptv::worker {

// A request line, parsed: the client's ID and the request, or why not.
struct RequestLine {
    std::string id;                                     // "-" when the line has none
    std::optional<devices::HostRing::Request> request;  // nullopt: a bad line
};
RequestLine parse_request_line(std::string_view line);
// "ID STATUS LENGTH\n" followed by the bytes.
std::string format_answer(std::string_view id, uint32_t status, const std::vector<uint8_t>& bytes);

class RequestPort {
  public:
    // The longest request line read, newline included.
    static constexpr size_t kMaxLine = 256;

    // Whether `fd` can be the port: an open, connected stream socket.
    // Throws ptv::UsageError saying what is wrong (before KVM is opened).
    static void check(int fd);

    // Starts reading `fd` (which the port then owns and closes) and
    // sending its requests on `ring`.
    RequestPort(int fd, devices::HostRing& ring);
    // Stops reading; answers that come later are dropped.
    ~RequestPort();
    RequestPort(const RequestPort&) = delete;
    RequestPort& operator=(const RequestPort&) = delete;

    struct Stats {
        uint64_t requests;   // lines sent to the guest
        uint64_t bad_lines;  // lines answered "ID 2 0" at once
        uint64_t answers;    // answers written (bad lines' included)
    };
    Stats stats() const;

  private:
    struct Writer;
    void read_loop();
    void take_line(std::string_view line);

    std::shared_ptr<Writer> writer_;  // shared with the answers still due
    devices::HostRing& ring_;
    int wake_fd_;
    std::thread thread_;
};

}  // namespace ptv::worker
