#include "results.hpp"

#include <algorithm>
#include <tuple>

namespace ptv::bench {

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The medians of `pick` over the good trials.
template <class T, class Good, class Pick>
void fill(Side& s, const std::vector<T>& trials, Good good, Pick pick) {
    std::vector<double> bytes, rounds;
    for (const T& t : trials) {
        if (!good(t)) continue;
        const auto [downtime, total, sent, n] = pick(t);
        s.downtimes_ms.push_back(downtime);
        s.totals_ms.push_back(total);
        bytes.push_back(sent);
        rounds.push_back(n);
        ++s.trials_ok;
    }
    s.downtime_ms = median(s.downtimes_ms);
    s.total_ms = median(s.totals_ms);
    s.bytes = median(bytes);
    s.rounds = median(rounds);
}

}  // namespace

Side summarize(const std::vector<PtvResult>& trials, const std::string& why_not) {
    Side s;
    s.status = why_not;
    fill(
        s, trials, [](const PtvResult&) { return true; },
        [](const PtvResult& r) {
            return std::tuple{r.downtime_ms, r.total_ms, double(r.bytes_sent),
                              double(r.rounds.size())};
        });
    return s;
}

Side summarize(const std::vector<QemuMigration>& trials) {
    Side s;
    for (const QemuMigration& m : trials) {
        if (!m.ok() && s.status.empty()) s.status = m.status;
        if (m.ok()) s.continued = s.continued.value_or(true) && m.continued;
    }
    fill(
        s, trials, [](const QemuMigration& m) { return m.ok(); },
        [](const QemuMigration& m) {
            return std::tuple{m.downtime_ms, m.total_ms, double(m.transferred_bytes),
                              double(m.precopy_rounds)};
        });
    return s;
}

}  // namespace ptv::bench
