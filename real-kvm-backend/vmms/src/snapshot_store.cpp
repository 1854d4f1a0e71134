#include "snapshot_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "ptv/worker/snapshot_file.hpp"

namespace fs = std::filesystem;

namespace ptv::vmms {

nlohmann::json list_snapshots(const std::string& dir, const std::string& last) {
    nlohmann::json rows = nlohmann::json::array();
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_directory() && e.path().filename().string().find(".tmp-") == std::string::npos)
            dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) {
        nlohmann::json row = {{"snapshot", d.filename().string()}};
        try {
            auto st = worker::read_snapshot_state(d.string());
            row["memory_bytes"] = st["memory"]["bytes"];
            row["memory_hash"] = st["memory"]["hash"];
            row["created_unix"] = st.value("created_unix", 0);
            row["ok"] = true;
        } catch (const worker::SnapshotError& e) {
            row["ok"] = false;
            row["error"] = e.what();
        }
        row["last"] = d.filename().string() == last;
        rows.push_back(row);
    }
    return rows;
}

std::string copy_snapshot(const std::string& from, const std::string& to) {
    const std::string tmp = to + ".tmp-" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directory(tmp, ec);
    for (const char* f : {worker::kSnapshotStateFile, worker::kSnapshotMemoryFile})
        if (!ec) fs::create_hard_link(from + "/" + f, tmp + "/" + f, ec);
    if (!ec) {
        fs::remove_all(to, ec);
        fs::rename(tmp, to, ec);
    }
    if (!ec) return "";
    std::string why = ec.message();
    fs::remove_all(tmp, ec);
    return why;
}

}  // namespace ptv::vmms
