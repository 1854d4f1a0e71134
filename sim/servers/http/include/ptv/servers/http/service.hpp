// What a server does with a parsed request, apart from how it waits: the
// architectures differ only in who waits for the network and the disk
// (Fig. 3-3), so the service is split in two steps. plan() never blocks: it
// answers at once or names a file to read; the architecture reads it its
// own way (in the calling thread, on a helper thread, from the cache) and
// calls finish().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ptv/servers/http/disk.hpp"
#include "ptv/servers/http/reply.hpp"
#include "ptv/servers/http/request.hpp"

namespace ptv::servers::http {

class Service {
  public:
    virtual ~Service() = default;

    struct Plan {
        std::optional<Reply> reply;  // answer now
        std::string disk_path;       // else: read this file, then finish()
    };
    virtual Plan plan(const Request& request) = 0;
    virtual Reply finish(const Request& request, const DiskRead& read);

    // Its state lives in one process's memory, so servers that fork cannot
    // share it (the stateful session counter).
    virtual bool process_local_state() const { return false; }
};

enum class ServiceKind { Files, StatefulCounter, StatelessCounter };
// "files", "stateful-counter", "stateless-counter"; throws ptv::UsageError.
ServiceKind parse_service(std::string_view name);
std::string_view to_string(ServiceKind kind);

// GET and HEAD of the files under the root (a directory: its index.html, or
// its listing; named without its trailing slash: 301 to the name with it).
// With `validators` (the default) replies carry Last-Modified, ETag and
// Accept-Ranges and answer conditional and range requests
// (representation.hpp); without, neither (`--no-validators`).
struct FileOptions {
    bool validators = true;
};
std::unique_ptr<Service> make_file_service(FileOptions options = {});

// The session counter of the stateful/stateless comparison (ch. 3.3,
// "Stateless versus stateful servers"), on "/" only:
//  - stateful: the count of each session is kept in the server's memory,
//    keyed by a session ID the client carries in a cookie; a restarted
//    server has forgotten every count.
//  - stateless: the count itself travels in the cookie ("visits=N") and
//    the server keeps nothing; a restart changes nothing. (A real one would
//    sign the cookie so that clients cannot forge it.)
// The body is "visits: N\n".
std::unique_ptr<Service> make_stateful_counter();
std::unique_ptr<Service> make_stateless_counter();

std::unique_ptr<Service> make_service(ServiceKind kind, FileOptions files = {});

// "text/html; charset=utf-8" for "a/b.html"; application/octet-stream for
// names we do not know.
std::string_view content_type_for(std::string_view name);

}  // namespace ptv::servers::http
