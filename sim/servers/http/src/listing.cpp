// A directory's HTML listing (see SimulatedDisk::list_directories): what a
// web server shows for a directory without index.html when asked to, as
// Apache's mod_autoindex and nginx's autoindex do.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ptv/common/format.hpp"
#include "ptv/servers/http/disk.hpp"

namespace ptv::servers::http {

namespace {

// A name as a relative URL path segment: every byte but the unreserved ones
// percent-encoded (RFC 3986 §2.3), so that '?', '#', '%', spaces and
// non-ASCII names link to themselves.
std::string url_escaped(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved)
            out += char(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

}  // namespace

DiskRead SimulatedDisk::read_listing(int dir_fd, const std::string& path) const {
    DiskRead r;
    r.name = path;
    r.directory = r.listing = true;
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* dir = fd < 0 ? nullptr : fdopendir(fd);
    if (dir == nullptr) {
        if (fd >= 0) close(fd);
        r.outcome = DiskRead::Outcome::Unavailable;
        return r;
    }
    std::vector<std::pair<std::string, bool>> entries;  // name, is a directory
    while (dirent* e = readdir(dir)) {
        if (e->d_name[0] == '.') continue;  // ".", ".." and hidden files
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st;
            is_dir = fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISDIR(st.st_mode);
        }
        entries.emplace_back(e->d_name, is_dir);
    }
    closedir(dir);
    std::sort(entries.begin(), entries.end());

    const std::string title = escape_html("/" + path + (path.empty() ? "" : "/"));
    std::string html = fmt::format(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {0}</title></head>\n"
        "<body><h1>Index of {0}</h1>\n<ul>\n",
        title);
    if (!path.empty()) html += "<li><a href=\"../\">../</a></li>\n";
    for (const auto& [name, is_dir] : entries) {
        const char* slash = is_dir ? "/" : "";
        fmt::format_to(std::back_inserter(html), "<li><a href=\"{}{}\">{}{}</a></li>\n",
                       url_escaped(name), slash, escape_html(name), slash);
    }
    html += "</ul></body></html>\n";
    r.outcome = DiskRead::Outcome::Ok;
    r.bytes = std::make_shared<const std::string>(std::move(html));
    return r;
}

}  // namespace ptv::servers::http
