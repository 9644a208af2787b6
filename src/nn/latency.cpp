#include "d2a/nn/latency.h"

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "d2a/error.h"
#include "d2a/nn/nb201_network.h"
#include "d2a/train/layout.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown cpu";
}

}  // namespace

double early_median(int planned, double tolerance, const std::function<double()>& next,
                    int* drawn) {
  if (planned < 1 || !(tolerance >= 0)) {
    throw bad_input("early_median: needs planned >= 1 and tolerance >= 0");
  }
  // 0-based indices into the sorted draws of the two order statistics whose mean is the median.
  const int low = (planned + 1) / 2 - 1, high = planned / 2;
  std::vector<double> values;
  double lower = 0, upper = 0;
  for (int m = 1; m <= planned; ++m) {
    values.push_back(next());
    const int missing = planned - m;
    if (low - missing < 0 || high >= m) continue;  // an end of the interval is still unbounded
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    lower = sorted[static_cast<std::size_t>(low - missing)];
    upper = sorted[static_cast<std::size_t>(high)];
    if (missing == 0 || upper - lower <= tolerance * lower) break;
  }
  if (drawn != nullptr) *drawn = static_cast<int>(values.size());
  return 0.5 * (lower + upper);
}

std::vector<LatencyMeasurement> measure_latencies_ms(const Nb201Cell& cell,
                                                     const Nb201MacroConfig& macro,
                                                     const std::vector<int>& batches,
                                                     const LatencyOptions& options) {
  if (batches.empty() || options.repeats < 1 || options.warmup < 0 ||
      *std::min_element(batches.begin(), batches.end()) < 1) {
    throw bad_input("latency: batch and repeats must be >= 1, warm-up >= 0");
  }
  Nb201Network net(Nb201NetworkOptions(cell, macro));
  net->eval();
  net->to(options.device);
  use_training_layout(*net, options.device);
  net->fold_batch_norms();
  c10::InferenceMode inference;  // no autograd or version-counter bookkeeping per op
  const bool cuda = options.device.is_cuda();
  std::vector<LatencyMeasurement> medians;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const torch::Tensor input = to_training_layout(
        torch::randn({batches[b], macro.input_channels, macro.image_size, macro.image_size},
                     torch::TensorOptions().device(options.device)),
        options.device);
    const int repeats = b == 0 ? options.repeats : std::min(options.repeats, 3);
    for (int i = 0; i < options.warmup; ++i) net->forward(input);
    LatencyMeasurement m;
    m.median_ms = early_median(
        repeats, options.tolerance,
        [&] {
          if (cuda) torch::cuda::synchronize();
          const auto start = std::chrono::steady_clock::now();
          const torch::Tensor out = net->forward(input);
          if (cuda) torch::cuda::synchronize();
          return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
        },
        &m.forwards);
    medians.push_back(m);
  }
  return medians;
}

std::string latency_machine_key(const torch::Device& device) {
  std::ostringstream key;
  if (device.is_cuda()) {
    key << "cuda";  // the GPU's name needs the CUDA runtime; the device index tells GPUs apart
    key << ':' << static_cast<int>(device.index());
  } else {
    key << "cpu:" << cpu_model_name() << " x" << torch::get_num_threads();
  }
  key << ":torch " << TORCH_VERSION << ':'
      << (trains_channels_last(device) ? "channels-last" : "nchw");
  return key.str();
}

LatencyCache::LatencyCache(std::string path, std::string machine_key)
    : path_(std::move(path)), machine_(std::move(machine_key)),
      data_{{"format", 1}, {"machines", nlohmann::json::object()}} {
  if (path_.empty() || !fs::exists(path_)) return;
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  try {
    data_ = nlohmann::json::parse(text.str());
    if (data_.at("format").get<int>() != 1 || !data_.at("machines").is_object()) {
      throw nlohmann::json::other_error::create(501, "format", nullptr);
    }
  } catch (const nlohmann::json::exception&) {
    throw bad_input(path_ + ": not a d2a latency cache (delete it, or pass --latency-cache none)");
  }
}

std::string LatencyCache::entry_key(const Nb201Cell& cell, const Nb201MacroConfig& macro, int batch) {
  std::ostringstream key;
  key << cell.str() << " C" << macro.channels << " N" << macro.cells_per_stage << " "
      << macro.input_channels << "x" << macro.image_size << "x" << macro.image_size << " classes "
      << macro.num_classes << " batch " << batch;
  return key.str();
}

double LatencyCache::find(const std::string& entry) const {
  const auto& machines = data_["machines"];
  const auto m = machines.find(machine_);
  if (m == machines.end()) return -1;
  const auto e = m->find(entry);
  return e == m->end() || !e->is_number() ? -1 : e->get<double>();
}

void LatencyCache::put(const std::string& entry, double median_ms) {
  data_["machines"][machine_][entry] = median_ms;
  dirty_ = true;
}

void LatencyCache::save() const {
  if (path_.empty() || !dirty_) return;
  std::error_code error;
  fs::create_directories(fs::path(path_).parent_path(), error);
  const std::string tmp = path_ + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << data_.dump(1) << "\n";
    if (!out.flush()) throw runtime_failure(tmp + ": cannot write the latency cache");
  }
  fs::rename(tmp, path_, error);
  if (error) throw runtime_failure(path_ + ": cannot write the latency cache (" + error.message() + ")");
}

std::string default_latency_cache_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != '\0') return (fs::path(xdg) / "d2a" / "latency.json").string();
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return (fs::path(home) / ".cache" / "d2a" / "latency.json").string();
  return "";
}

}  // namespace d2a
