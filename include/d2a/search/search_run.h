#pragma once
// Runs a Searcher over a labelled image set, as DARTS does: the training images are split 50/50
// (seeded) into a half that trains the weights and a half that trains the architecture; every
// epoch walks both halves in a fresh seeded order, one (train, valid) batch pair per step. After
// every epoch the run saves a checkpoint (atomically) and appends the architecture weights to a
// CSV history; a killed run resumes from its last finished epoch.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "d2a/search/searcher.h"
#include "d2a/train/trainer.h"

namespace d2a {

struct SearchRunOptions {
  int epochs = 50;
  int batch_size = 64;     // capped at the smaller half; each epoch drops its last partial batch
  std::uint64_t seed = 0;  // the split and the batch orders (the searcher has its own seed)
  // Written after every epoch through `checkpoint.tmp` renamed into place; empty: none.
  std::string checkpoint;
  // Continue from `checkpoint` when that file exists (otherwise start afresh).
  bool resume = false;
  // CSV "epoch,cell_type,edge,op,weight", one row per op of every edge after every epoch (the
  // searcher's op_weights). On resume, rows of epochs not in the checkpoint are dropped.
  std::string history_csv;
};

struct SearchStepReport {
  int epoch = 0;
  int step = 0;  // within the epoch, 0-based
  int steps_per_epoch = 0;
  SearchStepStats stats;
};

struct SearchEpochReport {
  int epoch = 0;
  int epochs = 0;
  double train_loss = 0;      // means over the epoch's steps
  double train_accuracy = 0;  // percent
  int arch_steps = 0;         // steps with an architecture step (0 during a warm-up)
  double valid_loss = 0;      // means over those steps
  double valid_accuracy = 0;
  std::string genotype;
  double alpha_entropy = 0;  // mean entropy (nats) of the op weights of every edge
  double seconds = 0;
  // The most tensor storage alive at once during the epoch on the search's device: the supernet,
  // the data and the steps' activations (CPU: train/tensor_memory.h; CUDA: the caching
  // allocator's peak, train/cuda_memory.h). -1 when not counted (CPU counting not started, or a
  // LibTorch without CUDA).
  std::int64_t peak_tensor_bytes = -1;
};

using SearchStepCallback = std::function<void(const SearchStepReport&)>;
using SearchEpochCallback = std::function<void(const SearchEpochReport&)>;

struct SearchRunResult {
  std::string genotype;  // the searcher's at the end
  int first_epoch = 0;   // > 0 when resumed
  int first_step = 0;    // > 0 when resumed inside an epoch (after an interrupt)
  std::vector<SearchEpochReport> epochs;  // the epochs run by this call
  // Stopped by SIGINT/SIGTERM (inside an InterruptScope, interrupt.h): the step in flight was
  // finished and a checkpoint of the epoch so far written; --resume continues at the next step.
  bool interrupted = false;
  int interrupted_epoch = 0;  // 0-based epoch and steps done in it when stopped
  int interrupted_steps = 0;
};

// Throws d2a::Error (bad input) on malformed data (see TrainData), fewer than 2 images, a
// non-positive epoch count or batch size, or a checkpoint of another seed or search; runtime
// when a file cannot be written.
SearchRunResult run_search(Searcher& searcher, const TrainData& data,
                           const SearchRunOptions& options,
                           const SearchStepCallback& on_step = {},
                           const SearchEpochCallback& on_epoch = {});

// The two halves: a seeded permutation's first floor(N / 2) images train the weights, the rest
// the architecture.
struct SearchSplit {
  TrainData train;
  TrainData valid;
};
SearchSplit split_search_data(const TrainData& data, std::uint64_t seed);

// Mean over all rows of -sum_o p_o log p_o (0 log 0 = 0).
double mean_entropy(const std::vector<torch::Tensor>& op_weights);

}  // namespace d2a
