#pragma once
// Inference latency of a NAS-Bench-201 network on this machine, and a cache of measurements per
// machine so that a cell is timed once. The cache file is JSON:
//   {"format": 1, "machines": {MACHINE_KEY: {ENTRY_KEY: median_ms, ...}, ...}}
// MACHINE_KEY names the processor (or GPU), the device, the thread count and the LibTorch
// version; ENTRY_KEY the cell, the network's size and the batch.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"

namespace d2a {

struct LatencyOptions {
  // Untimed forwards first, for a cold process (thread pool, oneDNN's and cuDNN's kernel caches,
  // which are process-wide and keyed by shape): a later network of the same shapes needs none.
  int warmup = 2;
  int repeats = 5;  // timed forwards at most; the median is reported
  // Timing stops early once the median of all `repeats` is known to within this fraction
  // (early_median below: its answer is then within half of it); 0 always times every repeat.
  // 5 % keeps that error (<= 2.5 %) under how far a cell's median itself moves from one run to
  // the next on the 2-core machine (4-34 %, 4-6 % at the quietest: tools/bench/suggest_latency.sh)
  // and saves about a quarter of the timed forwards there.
  double tolerance = 0.05;
  torch::Device device = torch::kCPU;
};

// The median of `planned` values drawn one by one from `next`, drawing no more than it takes:
// after m draws with u = planned - m still to come, the median of all `planned` lies between
// the sorted draws v[(planned+1)/2 - u] and v[planned/2 + 1] (1-based; the u missing values can
// move it only that far), so it stops as soon as that interval is narrower than `tolerance`
// times its lower end, and returns the interval's middle: within tolerance / 2 of the full
// median, and exactly the median when every value was drawn. `drawn` (if not null) receives the
// number of draws. Throws d2a::Error (bad input) for planned < 1 or a negative tolerance.
double early_median(int planned, double tolerance, const std::function<double()>& next,
                    int* drawn = nullptr);

struct LatencyMeasurement {
  double median_ms = 0;
  int forwards = 0;  // timed forwards it took (early_median)
};

// The median wall time (ms) of one forward pass of the network around `cell` as it is deployed
// (eval mode, inference mode, every BN that follows a convolution folded into it, as TorchScript
// freezing, ONNX Runtime, TFLite and TensorRT run it; random inputs of macro.image_size), after
// the warm-up, in the layout d2a runs on that device (train/layout.h: channels-last on CPU, as
// PyTorch's CPU inference guides advise; NCHW elsewhere), for each batch size in `batches` on
// one network built once: entry i is `batches[i]`'s. Throws d2a::Error (bad input) for no
// batch, a batch or repeat count < 1.
// Each batch gets options.warmup untimed forwards, then the early_median of options.repeats
// timed ones for the first batch and of min(options.repeats, 3) for each later (larger, slower
// and steadier) batch, with options.tolerance.
std::vector<LatencyMeasurement> measure_latencies_ms(const Nb201Cell& cell,
                                                     const Nb201MacroConfig& macro,
                                                     const std::vector<int>& batches,
                                                     const LatencyOptions& options);

// "cpu:<model name> x<threads>:torch <version>:<layout>" or
// "cuda:<index>:torch <version>:<layout>".
std::string latency_machine_key(const torch::Device& device);

class LatencyCache {
 public:
  // Reads `path` if it exists (an unreadable or malformed file is bad input, naming it); an
  // empty path is a cache that is never written.
  explicit LatencyCache(std::string path, std::string machine_key);
  static std::string entry_key(const Nb201Cell& cell, const Nb201MacroConfig& macro, int batch);
  // The cached median, or a negative value when this machine has none.
  double find(const std::string& entry) const;
  void put(const std::string& entry, double median_ms);
  // Writes the file (atomically: temporary file, then rename) when something was added.
  void save() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string machine_;
  nlohmann::json data_;
  bool dirty_ = false;
};

// $XDG_CACHE_HOME/d2a/latency.json, else $HOME/.cache/d2a/latency.json, else "" (no cache).
std::string default_latency_cache_path();

}  // namespace d2a
