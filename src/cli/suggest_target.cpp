#include "suggest_target.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "d2a/bench/device_targets.h"
#include "d2a/bench/nb201_score_table.h"
#include "d2a/cli/model_location.h"
#include "d2a/error.h"
#include "d2a/meta/pareto.h"
#include "d2a/nn/latency.h"

namespace d2a::cli {

bool TargetArgs::bounded() const { return std::isfinite(max_latency_ms) || std::isfinite(max_energy_mj); }

void validate_target(const TargetArgs& a) {
  if (a.target.empty()) {
    if (a.bounded()) throw bad_input("--max-latency-ms and --max-energy-mj need --target DEVICE");
    if (a.latency_batch != 1) throw bad_input("--latency-batch needs --target cpu or cuda");
    return;
  }
  const DeviceTarget& device = find_device_target(a.target);
  if (!(a.max_latency_ms > 0) || !(a.max_energy_mj > 0)) {
    throw bad_input("--max-latency-ms and --max-energy-mj must be positive");
  }
  if (std::isfinite(a.max_energy_mj) && device.energy_column.empty()) {
    throw bad_input("--max-energy-mj: no energy figures for --target " + a.target +
                    " (edgegpu, eyeriss and fpga have them)");
  }
  if (!device.measured && a.latency_batch != 1) {
    throw bad_input("--latency-batch: --target " + a.target +
                    " reads HW-NAS-Bench's batch-1 latencies; only cpu and cuda are timed");
  }
  if (a.measure_top < 1) throw bad_input("--measure-top must be >= 1");
}

bool target_wants_whole_space(const TargetArgs& a) {
  return !a.target.empty() && !find_device_target(a.target).measured && a.bounded();
}

nlohmann::json apply_target(const TargetArgs& a, SuggestResult& result,
                            const Nb201MacroConfig& network, const std::string& device_name) {
  nlohmann::json summary = nullptr;
  std::vector<ScoredCell>& ranked = result.ranked;
  if (!a.target.empty()) {
    const DeviceTarget& device = find_device_target(a.target);
    summary = {{"device", device.name}, {"description", device.description}};
    if (device.measured) {
      if (device.name == "cuda" && device_name != "cuda") {
        throw bad_input("--target cuda: no CUDA device here (use --target cpu)");
      }
      const torch::Device where(device.name == "cuda" ? torch::kCUDA : torch::kCPU);
      const std::string cache_path = a.latency_cache == "none" ? ""
                                     : a.latency_cache.empty() ? default_latency_cache_path()
                                                               : a.latency_cache;
      LatencyCache cache(cache_path, latency_machine_key(where));
      const auto start = std::chrono::steady_clock::now();
      int measured = 0, cached = 0, forwards = 0;
      const std::size_t top = std::min<std::size_t>(a.measure_top, ranked.size());
      std::vector<int> batches = {1};
      if (a.latency_batch > 1) batches.push_back(a.latency_batch);
      for (std::size_t i = 0; i < top; ++i) {
        // The batches the cache lacks are timed on one network, built once.
        std::vector<double> ms(batches.size(), -1);
        std::vector<int> missing;
        for (std::size_t b = 0; b < batches.size(); ++b) {
          ms[b] = cache.find(LatencyCache::entry_key(ranked[i].cell, network, batches[b]));
          if (ms[b] < 0) missing.push_back(batches[b]);
        }
        cached += static_cast<int>(batches.size() - missing.size());
        if (!missing.empty()) {
          LatencyOptions options;
          options.device = where;
          options.tolerance = a.latency_tolerance;
          // Only the first network warms up: the kernel caches are process-wide and every
          // candidate has the same shapes. Measured (30 candidates, batch 1 and 16): warming
          // every network up instead changed the medians' sums by less than their run-to-run
          // noise and cost 0.9 s.
          if (measured > 0) options.warmup = 0;
          const std::vector<LatencyMeasurement> fresh =
              measure_latencies_ms(ranked[i].cell, network, missing, options);
          for (std::size_t m = 0, b = 0; b < batches.size(); ++b) {
            if (ms[b] >= 0) continue;
            forwards += fresh[m].forwards;
            ms[b] = fresh[m++].median_ms;
            cache.put(LatencyCache::entry_key(ranked[i].cell, network, batches[b]), ms[b]);
            ++measured;
          }
        }
        ranked[i].latency_ms = ms[0];
        if (batches.size() > 1) ranked[i].latency_batch_ms = ms[1];
      }
      cache.save();
      summary["measured"] = {
          {"cells", top},
          {"timed", measured},
          {"forwards", forwards},
          {"tolerance", a.latency_tolerance},
          {"from_cache", cached},
          {"batch", a.latency_batch},
          {"threads", torch::get_num_threads()},
          {"cache", cache_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(cache_path)},
          {"machine", latency_machine_key(where)},
          {"seconds",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}};
    } else {
      const std::string path = a.latency_table.empty() ? default_latency_table() : a.latency_table;
      if (!std::filesystem::exists(path)) {
        throw bad_input(path + ": no such latency table (--latency-table nb201_hw_latency_cifar10.csv)");
      }
      const Nb201ScoreTable table = Nb201ScoreTable::load(path);
      check_latency_table(table, device);
      for (ScoredCell& s : ranked) {
        const DeviceCost cost = table_cost(table, device, s.cell);
        s.latency_ms = cost.latency_ms;
        s.energy_mj = cost.energy_mj;
      }
      summary["table"] = path;
    }
    // Bounds: a cell without a figure never counts as meeting one.
    if (a.bounded()) {
      double fastest = std::numeric_limits<double>::infinity(), thriftiest = fastest;
      std::size_t with_figure = 0;
      std::vector<ScoredCell> kept;
      for (const ScoredCell& s : ranked) {
        if (s.latency_ms) fastest = std::min(fastest, *s.latency_ms), ++with_figure;
        if (s.energy_mj) thriftiest = std::min(thriftiest, *s.energy_mj);
        const bool latency_ok = !std::isfinite(a.max_latency_ms) || (s.latency_ms && *s.latency_ms <= a.max_latency_ms);
        const bool energy_ok = !std::isfinite(a.max_energy_mj) || (s.energy_mj && *s.energy_mj <= a.max_energy_mj);
        if (latency_ok && energy_ok) kept.push_back(s);
      }
      if (kept.empty()) {
        std::ostringstream why;
        why << "no candidate meets the bound on " << device.name << ": ";
        if (std::isfinite(a.max_latency_ms)) {
          why << "the fastest of the " << with_figure << " candidates with a latency takes "
              << fastest << " ms (--max-latency-ms " << a.max_latency_ms << ")";
        }
        if (std::isfinite(a.max_energy_mj)) {
          why << (std::isfinite(a.max_latency_ms) ? "; " : "") << "the thriftiest needs "
              << thriftiest << " mJ (--max-energy-mj " << a.max_energy_mj << ")";
        }
        throw bad_input(why.str());
      }
      summary["bounds"] = {{"max_latency_ms", std::isfinite(a.max_latency_ms) ? nlohmann::json(a.max_latency_ms) : nlohmann::json(nullptr)},
                           {"max_energy_mj", std::isfinite(a.max_energy_mj) ? nlohmann::json(a.max_energy_mj) : nlohmann::json(nullptr)},
                           {"ranked_before", ranked.size()},
                           {"meeting", kept.size()}};
      ranked = std::move(kept);
    }
  }
  if (a.pareto) {
    std::vector<double> quality;
    std::vector<std::optional<double>> cost;
    const bool by_latency = !a.target.empty();
    for (const ScoredCell& s : ranked) {
      quality.push_back(s.blended.value_or(s.score));
      cost.push_back(by_latency ? s.latency_ms : std::optional<double>(s.cost.flops));
    }
    const std::vector<bool> front = pareto_set(quality, cost);
    std::size_t count = 0;
    for (std::size_t i = 0; i < ranked.size(); ++i) count += (ranked[i].pareto = front[i]);
    nlohmann::json p = {{"over", by_latency ? "score, latency_ms" : "score, flops"}, {"size", count}};
    if (summary.is_null()) summary = nlohmann::json::object();
    summary["pareto"] = p;
  }
  return summary;
}

}  // namespace d2a::cli
