#include "ptv/viz/analysis.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

namespace ptv::viz {

namespace {

bool is_span(const Event& e) {
    return e.ph == Phase::Complete || e.ph == Phase::Instant;
}

void sort_rows(std::vector<ExitStats::Row>& rows) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.count > b.count; });
}

// A device's track name is "uart (16550)": the device is the first word.
std::string device_of_track(const TraceModel& m, uint32_t track) {
    if (track == kNone) return {};
    const std::string& n = m.tracks()[track].name;
    return n.substr(0, n.find(" ("));
}

}  // namespace

ExitStats exit_stats(const TraceModel& m, size_t bins) {
    ExitStats s;
    s.category = "vmexit";
    auto cat = m.find("vmexit");
    if (!cat || !m.has_category("vmexit")) {
        s.category = "trap";
        cat = m.find("trap");
    }
    if (!cat) return s;
    // The device of each exit: its flow's far end, else args.device.
    std::unordered_map<uint32_t, uint32_t> device_track;
    for (const auto& f : m.flows())
        if (f.from_event != kNone) device_track[f.from_event] = f.to_track;

    const auto& ev = m.events();
    std::unordered_map<uint32_t, size_t> reason_row;
    std::map<std::string, size_t> device_row;
    std::vector<uint32_t> exits;
    std::vector<size_t> exit_device;  // row in by_device (before sorting)
    for (uint32_t i = 0; i < ev.size(); ++i) {
        const Event& e = ev[i];
        if (e.cat != *cat || !is_span(e)) continue;
        exits.push_back(i);
        auto [r, added] = reason_row.try_emplace(e.name, s.by_reason.size());
        if (added) s.by_reason.push_back({std::string(m.str(e.name))});
        const double ns = arg_number(e.args, "handling_ns", e.dur * 1000.0);
        s.by_reason[r->second].count++;
        s.by_reason[r->second].total_ns += ns;
        std::string device;
        if (auto d = device_track.find(i); d != device_track.end())
            device = device_of_track(m, d->second);
        if (device.empty()) device = arg(e.args, "device");
        if (device.empty()) device = s.category == "trap" ? m.tracks()[e.track].name : "(none)";
        auto [d, dadded] = device_row.try_emplace(device, s.by_device.size());
        if (dadded) s.by_device.push_back({device});
        s.by_device[d->second].count++;
        s.by_device[d->second].total_ns += ns;
        exit_device.push_back(d->second);
    }
    s.total = exits.size();
    // Rates over time, on the sorted rows.
    std::vector<std::string> device_names;
    for (const auto& d : s.by_device) device_names.push_back(d.name);
    sort_rows(s.by_reason);
    sort_rows(s.by_device);
    std::unordered_map<std::string_view, size_t> order, device_order;
    for (size_t r = 0; r < s.by_reason.size(); ++r) order[s.by_reason[r].name] = r;
    for (size_t r = 0; r < s.by_device.size(); ++r) device_order[s.by_device[r].name] = r;
    bins = std::max<size_t>(bins, 1);
    double t0 = 0, t1 = 0;
    for (size_t k = 0; k < exits.size(); ++k) {
        const double ts = ev[exits[k]].ts;
        if (k == 0) t0 = t1 = ts;
        t0 = std::min(t0, ts);
        t1 = std::max(t1, ts);
    }
    s.t0 = t0;
    s.bin_us = std::max((t1 - t0) / double(bins), 1e-3);
    s.rate.assign(s.by_reason.size(), std::vector<uint32_t>(bins, 0));
    s.device_rate.assign(s.by_device.size(), std::vector<uint32_t>(bins, 0));
    for (size_t k = 0; k < exits.size(); ++k) {
        const Event& e = ev[exits[k]];
        const size_t b = std::min(bins - 1, size_t((e.ts - t0) / s.bin_us));
        s.rate[order[m.str(e.name)]][b]++;
        s.device_rate[device_order[device_names[exit_device[k]]]][b]++;
    }
    return s;
}

Notifications notifications(const TraceModel& m) {
    Notifications n;
    auto vmexit = m.find("vmexit"), note = m.find("notification");
    if (!vmexit || !note) return n;
    const auto& ev = m.events();
    std::map<std::string, size_t> row;
    for (const auto& f : m.flows()) {
        if (f.from_event == kNone || f.to_event == kNone) continue;
        const Event &x = ev[f.from_event], &h = ev[f.to_event];
        if (x.cat != *vmexit || h.cat != *note) continue;
        NotificationChain c;
        c.exit_event = f.from_event;
        c.notification_event = f.to_event;
        c.device_track = f.to_track;
        c.t_exit = x.ts;
        c.t_notify = f.to_ts;
        c.t_done = h.end();
        c.t_resume = x.end();
        n.chains.push_back(c);
        const std::string device = device_of_track(m, f.to_track);
        auto [it, added] = row.try_emplace(device, n.devices.size());
        if (added) n.devices.push_back({device});
        DeviceLatency& d = n.devices[it->second];
        d.count++;
        d.dispatch_us += c.t_notify - c.t_exit;
        d.handler_us += c.t_done - c.t_notify;
        d.return_us += std::max(0.0, c.t_resume - c.t_done);
    }
    for (auto& d : n.devices) {
        d.dispatch_us /= double(d.count);
        d.handler_us /= double(d.count);
        d.return_us /= double(d.count);
    }
    std::sort(n.chains.begin(), n.chains.end(),
              [](const auto& a, const auto& b) { return a.t_exit < b.t_exit; });
    std::stable_sort(n.devices.begin(), n.devices.end(),
                     [](const auto& a, const auto& b) { return a.count > b.count; });
    return n;
}

Gantt thread_gantt(const TraceModel& m) {
    Gantt g;
    auto cat = m.find("thread");
    if (!cat) return g;
    bool first = true;
    for (int pass = 0; pass < 3; ++pass) {
        for (uint32_t t : m.track_order()) {
            const Track& tr = m.tracks()[t];
            const bool lwp = tr.kind == TrackKind::Lwp, cpu = tr.kind == TrackKind::Cpu;
            if ((pass == 0 && (lwp || cpu)) || (pass == 1 && !lwp) || (pass == 2 && !cpu)) continue;
            bool has = false;
            for (uint32_t i : tr.spans) {
                const Event& e = m.events()[i];
                if (e.cat != *cat) continue;
                has = true;
                if (first) g.t0 = e.ts, g.t1 = e.end(), first = false;
                g.t0 = std::min(g.t0, e.ts);
                g.t1 = std::max(g.t1, e.end());
            }
            if (has) g.lanes.push_back({t, tr.kind});
        }
    }
    return g;
}

ThreadState thread_state(const TraceModel& m, const Event& e) {
    std::string s = arg(e.args, "state");
    if (s.empty()) s = std::string(m.str(e.name));
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    // The simulator's words (RUN, READY, BLOCK) and the demos' ("running:
    // connect", "blocked in read()", "waiting (fiber-aware read)").
    if (s.rfind("run", 0) == 0 || s.find("running") != std::string::npos)
        return ThreadState::Running;
    if (s.find("ready") != std::string::npos) return ThreadState::Ready;
    if (s.find("block") != std::string::npos || s.find("waiting") != std::string::npos)
        return ThreadState::Blocked;
    return ThreadState::Other;
}

Requests requests(const TraceModel& m) {
    Requests r;
    auto cat = m.find("request");
    if (!cat) return r;
    const auto& ev = m.events();
    double q = 0, sv = 0, dk = 0;
    for (uint32_t t = 0; t < m.tracks().size(); ++t) {
        const Track& tr = m.tracks()[t];
        bool used = false;
        for (size_t j = 0; j < tr.spans.size(); ++j) {
            const Event& e = ev[tr.spans[j]];
            if (e.cat != *cat || m.str(e.name) != "request") continue;
            used = true;
            RequestSpan s;
            s.track = t;
            s.event = tr.spans[j];
            s.arrive = e.ts;
            s.total_us = e.dur;
            for (size_t k = j + 1; k < tr.spans.size(); ++k) {
                const Event& p = ev[tr.spans[k]];
                if (p.ts > e.end() || tr.depth[k] <= tr.depth[j]) break;
                const std::string_view n = m.str(p.name);
                RequestSpan::Part part;
                if (n == "queueing") {
                    part = RequestSpan::Part::Queueing;
                    s.queueing_us += p.dur;
                } else if (n == "disk") {
                    part = RequestSpan::Part::Disk;
                    s.disk_us += p.dur;
                } else if (n == "service" || n == "cpu") {
                    part = RequestSpan::Part::Service;
                    s.service_us += p.dur;
                } else {
                    continue;
                }
                s.segments.push_back({part, p.ts - e.ts, p.dur});
            }
            q += s.queueing_us;
            sv += s.service_us;
            dk += s.disk_us;
            r.spans.push_back(std::move(s));
        }
        r.connections += used;
    }
    // By server (one pid per architecture in `ptv servers sim`), then arrival.
    std::sort(r.spans.begin(), r.spans.end(), [&](const auto& a, const auto& b) {
        const int pa = m.tracks()[a.track].pid, pb = m.tracks()[b.track].pid;
        return pa < pb || (pa == pb && a.arrive < b.arrive);
    });
    if (!r.spans.empty()) {
        const double n = double(r.spans.size());
        r.mean_queueing_us = q / n;
        r.mean_service_us = sv / n;
        r.mean_disk_us = dk / n;
    }
    return r;
}

Migration migration(const TraceModel& m) {
    Migration g;
    for (uint32_t i : m.events_of("migration")) {
        const Event& e = m.events()[i];
        const std::string_view n = m.str(e.name);
        if (n == "downtime" || n == "stop-and-copy") {
            g.downtime_ts = e.ts;
            g.downtime_us = e.dur;
        }
        if (n == "degraded") {
            g.degraded_ts = e.ts;
            g.degraded_us = e.dur;
        }
        if (n == "remote-fault") g.remote_faults.push_back(e.ts);
        if (n == "round" || n.rfind("round", 0) == 0 || n == "stop-and-copy") {
            Migration::Round r;
            r.round = int(arg_number(e.args, "round", double(g.rounds.size())));
            r.ts = e.ts;
            r.dur = e.dur;
            r.pages_sent = arg_number(e.args, "pages_sent");
            r.pages_dirtied = arg_number(e.args, "pages_dirtied");
            g.rounds.push_back(r);
        }
    }
    return g;
}

ClusterView cluster(const TraceModel& m) {
    ClusterView c;
    const auto events = m.events_of("cluster");
    // The hosts: every pid with a VM span, a migration or a power-off.
    std::map<int, uint32_t> host_of;
    for (uint32_t i : events) {
        const Event& e = m.events()[i];
        const std::string_view n = m.str(e.name);
        if (n == "fits-nowhere" || n == "place" || n == "leave") continue;
        host_of.try_emplace(e.pid, 0);
    }
    for (auto& [pid, index] : host_of) {
        index = uint32_t(c.hosts.size());
        c.hosts.push_back({pid, m.process_name(pid)});
    }
    bool first = true;
    auto extend = [&](double a, double b) {
        c.t0 = first ? a : std::min(c.t0, a);
        c.t1 = first ? b : std::max(c.t1, b);
        first = false;
    };
    // "to" names a host by its name's first word ("h2 (8192 MiB, 4 CPUs)").
    auto host_named = [&](const std::string& name) -> std::optional<uint32_t> {
        for (uint32_t h = 0; h < c.hosts.size(); ++h) {
            const std::string& full = c.hosts[h].name;
            if (full == name || full.rfind(name + " ", 0) == 0) return h;
        }
        return std::nullopt;
    };
    for (uint32_t i : events) {
        const Event& e = m.events()[i];
        const std::string_view n = m.str(e.name);
        extend(e.ts, e.end());
        if (n == "fits-nowhere") {
            c.fits_nowhere.push_back(arg(e.args, "vm"));
            continue;
        }
        auto h = host_of.find(e.pid);
        if (h == host_of.end()) continue;
        if (n == "host") {
            continue;
        } else if (n == "power-off") {
            c.hosts[h->second].powered_off = true;
            c.hosts[h->second].off_ts = e.ts;
        } else if (n == "migrate" && e.ph == Phase::Complete) {
            if (auto to = host_named(arg(e.args, "to")))
                c.moves.push_back({arg(e.args, "vm"), h->second, *to, e.ts, e.dur});
        } else if (e.ph == Phase::Complete) {
            c.bars.push_back({h->second, std::string(n), e.ts, e.dur});
        }
    }
    std::stable_sort(c.bars.begin(), c.bars.end(), [](const auto& a, const auto& b) {
        return a.host != b.host ? a.host < b.host : a.ts < b.ts;
    });
    std::stable_sort(c.moves.begin(), c.moves.end(),
                     [](const auto& a, const auto& b) { return a.ts < b.ts; });
    return c;
}

TranslationCacheView translation_cache(const TraceModel& m) {
    TranslationCacheView c;
    std::map<uint64_t, size_t> index;
    auto block = [&](uint64_t address) -> TranslationCacheView::Block& {
        auto [it, added] = index.try_emplace(address, c.blocks.size());
        if (added) c.blocks.push_back({address});
        return c.blocks[it->second];
    };
    std::map<std::pair<uint64_t, uint64_t>, uint32_t> chains;
    for (uint32_t i : m.events_of("bt")) {
        const Event& e = m.events()[i];
        const std::string_view n = m.str(e.name);
        if (n == "translate") {
            auto& b = block(uint64_t(arg_number(e.args, "block")));
            b.size = uint32_t(arg_number(e.args, "size", b.size));
            b.translations++;
        } else if (n == "cache-hit") {
            block(uint64_t(arg_number(e.args, "block"))).hits++;
        } else if (n == "callout") {
            block(uint64_t(arg_number(e.args, "block"))).callouts++;
        } else if (n == "chain") {
            const auto from = uint64_t(arg_number(e.args, "from"));
            const auto to = uint64_t(arg_number(e.args, "to"));
            block(from);
            block(to);
            chains[{from, to}]++;
        }
    }
    // Blocks by address; chains as indexes into that order.
    std::vector<size_t> perm(c.blocks.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    std::sort(perm.begin(), perm.end(),
              [&](size_t a, size_t b) { return c.blocks[a].address < c.blocks[b].address; });
    std::vector<TranslationCacheView::Block> sorted;
    std::map<uint64_t, uint32_t> at;
    for (size_t i : perm) {
        at[c.blocks[i].address] = uint32_t(sorted.size());
        sorted.push_back(c.blocks[i]);
    }
    c.blocks = std::move(sorted);
    for (const auto& [k, n] : chains) c.chains.push_back({at[k.first], at[k.second], n});
    return c;
}

}  // namespace ptv::viz
