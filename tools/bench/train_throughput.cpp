// Training throughput of d2a's NAS-Bench-201 cell network (C++ / LibTorch), the same step and
// sizes as tools/bench/train_throughput.py runs through PyTorch's Python API: forward,
// cross-entropy, backward, SGD Nesterov 0.9 wd 5e-4, on fixed random tensors.
// Prints one JSON line per cell. Built on demand: ninja -C build d2a_bench_train.
// --device cuda times the step on the GPU (synchronised before the clock starts and stops).
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "d2a/nn/nb201_network.h"
#include "d2a/train/allocator.h"
#include "d2a/train/flat_sgd.h"
#include "d2a/train/layout.h"
#include "d2a/train/precision.h"
#include "d2a/train/trainer.h"

int main(int argc, char** argv) {
  d2a::keep_freed_memory_for_reuse();  // as d2a itself does (src/main.cpp)
  std::vector<std::string> cells;
  // chrome-trace file of the timed steps (tools/bench/compare_profiles.py; read its caution)
  std::string profile;
  // "trainer" (what d2a's trainer does on the device, train/layout.h: channels-last on CPU, NCHW
  // elsewhere), "channels-last" or "nchw" (PyTorch's default) on any device
  std::string layout = "trainer";
  std::string device_name = "cpu";
  std::string precision = "fp32";  // or "bf16" (autocast, train/precision.h)
  // "flat" (what d2a's trainer steps with, train/flat_sgd.h) or "torch" (torch::optim::SGD)
  std::string optimizer = "flat";
  int channels = 8, cells_per_stage = 1, size = 16, in_channels = 3, classes = 10, batch = 128,
      steps = 30, warmup = 5, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--cell") cells.push_back(value);
    else if (flag == "--channels") channels = std::stoi(value);
    else if (flag == "--cells") cells_per_stage = std::stoi(value);
    else if (flag == "--size") size = std::stoi(value);
    else if (flag == "--batch") batch = std::stoi(value);
    else if (flag == "--steps") steps = std::stoi(value);
    else if (flag == "--threads") threads = std::stoi(value);
    else if (flag == "--profile") profile = value;
    else if (flag == "--layout" && (value == "trainer" || value == "channels-last" || value == "nchw")) layout = value;
    else if (flag == "--device" && (value == "cpu" || value == "cuda")) device_name = value;
    else if (flag == "--precision" && (value == "fp32" || value == "bf16")) precision = value;
    else if (flag == "--optimizer" && (value == "flat" || value == "torch"))
      optimizer = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  if (device_name == "cuda" && !torch::cuda::is_available()) {
    std::cerr << "--device cuda: no CUDA device here\n";
    return 2;
  }
  const torch::Device device(device_name == "cuda" ? torch::kCUDA : torch::kCPU);
  const auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  if (layout == "trainer") layout = d2a::trains_channels_last(device) ? "channels-last" : "nchw";
  const bool channels_last = layout == "channels-last";
  const auto x = channels_last
                     ? torch::randn({batch, in_channels, size, size}).to(device).contiguous(torch::MemoryFormat::ChannelsLast)
                     : torch::randn({batch, in_channels, size, size}).to(device);
  const auto y = torch::randint(0, classes, {batch}, torch::kLong).to(device);
  for (const auto& text : cells) {
    d2a::Nb201MacroConfig macro;
    macro.channels = channels;
    macro.cells_per_stage = cells_per_stage;
    macro.image_size = size;
    macro.input_channels = in_channels;
    macro.num_classes = classes;
    d2a::Nb201Network net(d2a::Nb201NetworkOptions(d2a::Nb201Cell::parse(text), macro));
    net->to(device);
    if (channels_last) d2a::make_channels_last(*net);
    const std::vector<torch::Tensor> params = net->parameters();
    torch::optim::SGD opt(params,
                          torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(5e-4));
    std::unique_ptr<d2a::FlatSgd> flat;
    if (optimizer == "flat")
      flat = std::make_unique<d2a::FlatSgd>(params, d2a::FlatSgdOptions{0.1, 0.9, 5e-4, true});
    net->train();
    auto start = std::chrono::steady_clock::now();
    std::unique_ptr<torch::autograd::profiler::RecordProfile> recording;
    for (int step = 0; step < warmup + steps; ++step) {
      if (step == warmup) {
        if (!profile.empty()) {
          recording = std::make_unique<torch::autograd::profiler::RecordProfile>(profile);
        }
        sync();
        start = std::chrono::steady_clock::now();
      }
      if (flat) {
        flat->zero_grad();  // what d2a's trainer does
      } else {
        d2a::clear_gradients(params);  // set_to_none, PyTorch's default
      }
      torch::Tensor logits;
      {
        const d2a::PrecisionScope scope(precision, device);  // what d2a's trainer does
        logits = net->forward(x);
      }
      auto loss = torch::nn::functional::cross_entropy(d2a::with_full_precision(logits), y);
      loss.backward();
      if (flat) {
        flat->step(0.1);
      } else {
        opt.step();
      }
    }
    sync();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    recording.reset();  // writes the trace
    std::cout << nlohmann::json{{"impl", "c++"},
                                {"cell", text},
                                {"images_per_second", batch * steps / seconds},
                                {"steps", steps},
                                {"batch", batch},
                                {"channels", channels},
                                {"cells", cells_per_stage},
                                {"size", size},
                                {"threads", threads},
                                {"layout", layout},
                                {"device", device_name},
                                {"precision", precision},
                                {"optimizer", optimizer}}
                     .dump()
              << std::endl;
  }
  return 0;
}
