// The file service: GET and HEAD of files under the root (see service.hpp).
#include <fmt/format.h>

#include "ptv/common/error.hpp"
#include "ptv/servers/http/representation.hpp"
#include "ptv/servers/http/service.hpp"
#include "ptv/servers/http/target.hpp"

namespace ptv::servers::http {

std::string_view content_type_for(std::string_view name) {
    size_t dot = name.rfind('.');
    size_t slash = name.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "application/octet-stream";
    std::string_view ext = name.substr(dot + 1);
    struct Type {
        std::string_view ext, type;
    };
    static constexpr Type types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/plain; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"ico", "image/x-icon"},
        {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},
    };
    for (const auto& t : types)
        if (t.ext == ext) return t.type;
    return "application/octet-stream";
}

namespace {

Reply reply_to_read(const Request& request, const DiskRead& read, bool validators) {
    // A directory named without its slash: relative links in its index
    // would resolve against its parent, so send the client to "dir/".
    if (read.directory && !names_directory(request.target)) {
        Reply r = error_reply(301);
        r.extra_headers = fmt::format("Location: {}\r\n", with_trailing_slash(request.target));
        return r;
    }
    using O = DiskRead::Outcome;
    switch (read.outcome) {
        case O::Ok:
            return file_reply(request, read, validators);
        case O::NotFound:
            return error_reply(404);
        case O::Forbidden:
            return error_reply(403);
        case O::TooLarge:
            return error_reply(
                403, fmt::format("this server sends files of at most {} MiB", kMaxFileBytes >> 20));
        case O::Unavailable:
            return error_reply(503);
    }
    return error_reply(500);
}

class FileService final : public Service {
  public:
    explicit FileService(FileOptions options) : options_(options) {}
    Plan plan(const Request& request) override {
        Target t = resolve_target(request.target);
        if (t.status != 0) return {error_reply(t.status), {}};
        return {std::nullopt, std::move(t.path)};
    }
    Reply finish(const Request& request, const DiskRead& read) override {
        return reply_to_read(request, read, options_.validators);
    }

  private:
    FileOptions options_;
};

}  // namespace

Reply Service::finish(const Request& request, const DiskRead& read) {
    return reply_to_read(request, read, true);
}

std::unique_ptr<Service> make_file_service(FileOptions options) {
    return std::make_unique<FileService>(options);
}

ServiceKind parse_service(std::string_view name) {
    if (name == "files") return ServiceKind::Files;
    if (name == "stateful-counter") return ServiceKind::StatefulCounter;
    if (name == "stateless-counter") return ServiceKind::StatelessCounter;
    throw UsageError(fmt::format(
        "--service {}: no such service; give files, stateful-counter or stateless-counter", name));
}

std::string_view to_string(ServiceKind kind) {
    switch (kind) {
        case ServiceKind::Files:
            return "files";
        case ServiceKind::StatefulCounter:
            return "stateful-counter";
        case ServiceKind::StatelessCounter:
            return "stateless-counter";
    }
    return "?";
}

std::unique_ptr<Service> make_service(ServiceKind kind, FileOptions files) {
    switch (kind) {
        case ServiceKind::Files:
            return make_file_service(files);
        case ServiceKind::StatefulCounter:
            return make_stateful_counter();
        case ServiceKind::StatelessCounter:
            return make_stateless_counter();
    }
    return make_file_service(files);
}

}  // namespace ptv::servers::http
