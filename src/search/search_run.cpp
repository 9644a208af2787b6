#include "d2a/search/search_run.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>

#include "d2a/dist/process_group.h"
#include "d2a/error.h"
#include "d2a/interrupt.h"
#include "d2a/train/cuda_device.h"
#include "d2a/train/cuda_memory.h"
#include "d2a/train/resident_images.h"
#include "d2a/train/tensor_memory.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;

void check_search_data(const TrainData& data, std::int64_t num_classes) {
  const std::string what = "search data: ";
  if (!data.images.defined() || data.images.dim() != 4 ||
      data.images.scalar_type() != torch::kFloat) {
    throw bad_input(what + "images must be a float32 [N, C, H, W] tensor");
  }
  if (!data.labels.defined() || data.labels.dim() != 1 ||
      data.labels.scalar_type() != torch::kLong || data.labels.size(0) != data.images.size(0)) {
    throw bad_input(what + "labels must be an int64 [N] tensor matching the " +
                    std::to_string(data.images.size(0)) + " images");
  }
  if (data.images.size(0) < 2) throw bad_input(what + "need at least 2 images to split");
  if (data.labels.min().item<std::int64_t>() < 0 ||
      data.labels.max().item<std::int64_t>() >= num_classes) {
    throw bad_input(what + "labels must lie in [0, " + std::to_string(num_classes) + ")");
  }
}

// A generator of its own for each use, so that the split and the batch orders depend on the
// seed and the epoch only (not on what the searcher drew from the global one).
torch::Tensor permutation(std::int64_t n, std::uint64_t seed) {
  return torch::randperm(n, at::detail::createCPUGenerator(seed), torch::kLong);
}

std::uint64_t epoch_seed(std::uint64_t seed, int epoch, int half) {
  return seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch) * 2 +
         static_cast<std::uint64_t>(half) + 1;
}

std::string format_weight(double w) {
  std::ostringstream out;
  out << std::setprecision(8) << w;
  return out.str();
}

// Where a run stands inside an epoch it did not finish: steps done and the report's sums so far.
struct PartialEpoch {
  int steps_done = 0;
  double train_loss = 0, train_accuracy = 0, valid_loss = 0, valid_accuracy = 0;
  int arch_steps = 0;
};

void write_checkpoint(Searcher& searcher, const std::string& path, int epochs_done,
                      std::uint64_t seed, int world_size, const PartialEpoch& partial = {}) {
  torch::serialize::OutputArchive archive;
  archive.write("run_epochs_done", c10::IValue(static_cast<std::int64_t>(epochs_done)));
  archive.write("run_steps_done", c10::IValue(static_cast<std::int64_t>(partial.steps_done)));
  archive.write("run_partial",
                c10::IValue(std::vector<double>{partial.train_loss, partial.train_accuracy,
                                                partial.valid_loss, partial.valid_accuracy,
                                                static_cast<double>(partial.arch_steps)}));
  archive.write("run_seed", c10::IValue(static_cast<std::int64_t>(seed)));
  archive.write("run_world_size", c10::IValue(static_cast<std::int64_t>(world_size)));
  torch::serialize::OutputArchive nested;
  searcher.save(nested);
  archive.write("searcher", nested);
  const std::string temporary = path + ".tmp";
  try {
    archive.save_to(temporary);
    fs::rename(temporary, path);
  } catch (const std::exception& e) {
    throw runtime_failure("cannot write search checkpoint " + path + ": " + e.what());
  }
}

// Returns the number of epochs the checkpoint holds, and in `partial` the steps of the next one
// it holds too (a checkpoint written on an interrupt).
int read_checkpoint(Searcher& searcher, const std::string& path, std::uint64_t seed,
                    int world_size, PartialEpoch& partial) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, searcher.device());
  } catch (const c10::Error& e) {
    throw bad_input("cannot read search checkpoint " + path + ": " + e.what_without_backtrace());
  }
  c10::IValue value;
  archive.read("run_seed", value);
  if (static_cast<std::uint64_t>(value.toInt()) != seed) {
    throw bad_input("search checkpoint " + path + " was written with seed " +
                    std::to_string(value.toInt()) + ", not " + std::to_string(seed));
  }
  // Each rank's share of a batch depends on the number of processes, and so does the result: a
  // resumed search keeps the number it started with (checkpoints before this field: one).
  const std::int64_t written_by =
      archive.try_read("run_world_size", value) ? value.toInt() : std::int64_t{1};
  if (written_by != world_size) {
    throw bad_input("search checkpoint " + path + " was written by " + std::to_string(written_by) +
                    " process" + (written_by == 1 ? "" : "es") + ", this run has " +
                    std::to_string(world_size) + ": resume it with " +
                    std::to_string(written_by));
  }
  if (archive.try_read("run_steps_done", value)) partial.steps_done = static_cast<int>(value.toInt());
  if (partial.steps_done > 0 && archive.try_read("run_partial", value)) {
    const auto sums = value.toDoubleVector();
    if (sums.size() == 5) {
      partial.train_loss = sums[0];
      partial.train_accuracy = sums[1];
      partial.valid_loss = sums[2];
      partial.valid_accuracy = sums[3];
      partial.arch_steps = static_cast<int>(sums[4]);
    }
  }
  archive.read("run_epochs_done", value);
  torch::serialize::InputArchive nested;
  archive.read("searcher", nested);
  searcher.load(nested);
  return static_cast<int>(value.toInt());
}

// True when this process or, in a data-parallel job, any rank got SIGINT/SIGTERM.
bool stop_requested(dist::ProcessGroup& group) { return group.any(interrupt_requested()); }

const char* kHistoryHeader = "epoch,cell_type,edge,op,weight";

// Keeps the header and the rows of epochs before `first_epoch` (a resumed run rewrites the
// rest), through a temporary file renamed into place.
void prepare_history(const std::string& path, int first_epoch) {
  std::ostringstream kept;
  kept << kHistoryHeader << '\n';
  if (first_epoch > 0) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      int epoch = 0;
      try {
        epoch = std::stoi(line.substr(0, line.find(',')));
      } catch (const std::exception&) {
        throw bad_input("search history " + path + ": malformed row '" + line + "'");
      }
      if (epoch < first_epoch) kept << line << '\n';
    }
  }
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << kept.str();
    if (!out) throw runtime_failure("cannot write search history " + temporary);
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) throw runtime_failure("cannot write search history " + path + ": " + error.message());
}

void append_history(Searcher& searcher, const std::string& path, int epoch) {
  std::ofstream out(path, std::ios::app);
  const auto types = searcher.cell_types();
  const auto ops = searcher.op_names();
  const auto weights = searcher.op_weights();
  for (std::size_t t = 0; t < weights.size(); ++t) {
    const torch::Tensor w = weights[t].to(torch::kDouble).contiguous();
    for (std::int64_t e = 0; e < w.size(0); ++e) {
      for (std::int64_t o = 0; o < w.size(1); ++o) {
        out << epoch << ',' << types.at(t) << ',' << e << ',' << ops.at(o) << ','
            << format_weight(w[e][o].item<double>()) << '\n';
      }
    }
  }
  if (!out) throw runtime_failure("cannot append to search history " + path);
}

}  // namespace

SearchSplit split_search_data(const TrainData& data, std::uint64_t seed) {
  const std::int64_t n = data.images.size(0);
  const torch::Tensor order = permutation(n, seed);
  const torch::Tensor first = order.narrow(0, 0, n / 2);
  const torch::Tensor second = order.narrow(0, n / 2, n - n / 2);
  return {{data.images.index_select(0, first), data.labels.index_select(0, first), data.mean, data.std},
          {data.images.index_select(0, second), data.labels.index_select(0, second), data.mean,
           data.std}};
}

double mean_entropy(const std::vector<torch::Tensor>& op_weights) {
  double total = 0;
  std::int64_t rows = 0;
  for (const auto& w : op_weights) {
    const torch::Tensor p = w.detach().to(torch::kCPU, torch::kDouble);
    total -= torch::xlogy(p, p).sum().item<double>();
    rows += p.size(0);
  }
  return rows == 0 ? 0.0 : total / static_cast<double>(rows);
}

SearchRunResult run_search(Searcher& searcher, const TrainData& data,
                           const SearchRunOptions& options, const SearchStepCallback& on_step,
                           const SearchEpochCallback& on_epoch) {
  check_search_data(data, searcher.config().num_classes);
  if (options.epochs < 1 || options.batch_size < 1) {
    throw bad_input("search: epochs " + std::to_string(options.epochs) + " and batch size " +
                    std::to_string(options.batch_size) + " must be positive");
  }
  // Data parallel (dist::world() joined a job): every rank runs the same epochs on its share of
  // each batch; rank 0 alone writes the history and the checkpoint.
  dist::ProcessGroup& group = dist::world();
  const bool writes = group.is_root();
  SearchRunResult result;
  PartialEpoch partial;
  if (options.resume && !options.checkpoint.empty() && fs::exists(options.checkpoint)) {
    result.first_epoch =
        read_checkpoint(searcher, options.checkpoint, options.seed, group.world_size(), partial);
    result.first_step = partial.steps_done;
  }
  if (writes && !options.history_csv.empty()) prepare_history(options.history_csv, result.first_epoch);

  const torch::Device device = searcher.device();
  SearchSplit split = split_search_data(data, options.seed);
  // Both halves go to the device once (as uint8 pixels where exact); each step indexes there.
  const ResidentImages halves[2] = {ResidentImages(split.train, device),
                                    ResidentImages(split.valid, device)};
  split = SearchSplit{};  // the host copies are no longer needed
  const std::int64_t smaller = std::min(halves[0].size(), halves[1].size());
  const std::int64_t batch = std::min<std::int64_t>(options.batch_size, smaller);
  const int steps = static_cast<int>(smaller / batch);
  if (batch % group.world_size() != 0) {
    throw bad_input("search: the batch of " + std::to_string(batch) + " images does not split " +
                    "evenly over " + std::to_string(group.world_size()) +
                    " processes; choose a --batch that the number of processes divides");
  }
  const auto [share_first, share] = dist::shard_range(batch, group.rank(), group.world_size());

  const bool count_memory = device.is_cpu() && counting_cpu_tensor_memory();
  const int cuda_index =
      device.is_cuda() ? (device.has_index() ? device.index() : current_cuda_device()) : -1;
  for (int epoch = result.first_epoch; epoch < options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    if (count_memory) reset_peak_cpu_tensor_bytes();
    if (cuda_index >= 0) reset_peak_cuda_tensor_bytes(cuda_index);
    // Resumed inside this epoch: the checkpoint holds the searcher as the epoch left it (its
    // schedule applied on load), so the epoch is not started again.
    const int first_step = epoch == result.first_epoch ? partial.steps_done : 0;
    if (first_step == 0) searcher.new_epoch(epoch, options.epochs);
    torch::Tensor orders[2];
    for (int h = 0; h < 2; ++h) {
      orders[h] = permutation(halves[h].size(), epoch_seed(options.seed, epoch, h))
                      .to(device);
    }
    SearchEpochReport report;
    report.epoch = epoch;
    report.epochs = options.epochs;
    // The epoch's sums stay on the device (train loss and accuracy over `steps`, valid loss and
    // accuracy over the architecture steps); they are read back at the epoch's end only.
    torch::Tensor sums = torch::zeros({4}, torch::TensorOptions(torch::kDouble).device(device));
    if (first_step > 0) {
      sums = torch::tensor({partial.train_loss, partial.train_accuracy, partial.valid_loss,
                            partial.valid_accuracy},
                           torch::kDouble)
                 .to(device);
      report.arch_steps = partial.arch_steps;
    }
    const auto read_sums = [&] {
      const torch::Tensor host = sums.cpu();
      const double* v = host.data_ptr<double>();
      report.train_loss = v[0];
      report.train_accuracy = v[1];
      report.valid_loss = v[2];
      report.valid_accuracy = v[3];
    };
    for (int s = first_step; s < steps; ++s) {
      Batch batches[2];
      for (int h = 0; h < 2; ++h) {
        const torch::Tensor index = orders[h].narrow(0, s * batch + share_first, share);
        batches[h] = {halves[h].images(index), halves[h].labels(index)};
      }
      const SearchStepStats stats = searcher.step(batches[0], batches[1]);
      const torch::Tensor train = torch::stack(
          {stats.train_loss.to(torch::kDouble), stats.train_accuracy.to(torch::kDouble)});
      sums.narrow(0, 0, 2).add_(train, 1.0 / steps);
      if (stats.arch_step) {
        ++report.arch_steps;
        sums.narrow(0, 2, 2).add_(torch::stack(
            {stats.valid_loss.to(torch::kDouble), stats.valid_accuracy.to(torch::kDouble)}));
      }
      if (on_step) on_step({epoch, s, steps, stats});
      // Ctrl-C / SIGTERM: every rank stops after the same step (the flag is reduced), and rank 0
      // saves the epoch so far; --resume continues at the next step.
      if (s + 1 < steps && stop_requested(group)) {
        read_sums();
        if (writes && !options.checkpoint.empty()) {
          const PartialEpoch now{s + 1, report.train_loss, report.train_accuracy,
                                 report.valid_loss, report.valid_accuracy, report.arch_steps};
          write_checkpoint(searcher, options.checkpoint, epoch, options.seed, group.world_size(), now);
        }
        result.interrupted = true;
        result.interrupted_epoch = epoch;
        result.interrupted_steps = s + 1;
        result.genotype = searcher.genotype();
        return result;
      }
    }
    read_sums();
    if (report.arch_steps > 0) {
      report.valid_loss /= report.arch_steps;
      report.valid_accuracy /= report.arch_steps;
    }
    report.genotype = searcher.genotype();
    report.alpha_entropy = mean_entropy(searcher.op_weights());
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (count_memory) report.peak_tensor_bytes = peak_cpu_tensor_bytes();
    if (cuda_index >= 0) report.peak_tensor_bytes = peak_cuda_tensor_bytes(cuda_index);
    // History first: a run killed between the two redoes this epoch and rewrites its rows.
    if (writes && !options.history_csv.empty()) append_history(searcher, options.history_csv, epoch);
    if (writes && !options.checkpoint.empty()) {
      write_checkpoint(searcher, options.checkpoint, epoch + 1, options.seed, group.world_size());
    }
    result.epochs.push_back(report);
    if (on_epoch) on_epoch(report);
    if (epoch + 1 < options.epochs && stop_requested(group)) {  // at an epoch's end: saved above
      result.interrupted = true;
      result.interrupted_epoch = epoch + 1;
      result.genotype = searcher.genotype();
      return result;
    }
  }
  result.genotype = searcher.genotype();
  return result;
}

}  // namespace d2a
