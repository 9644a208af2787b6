#pragma once
// Training one NAS-Bench-201 cell network from scratch and measuring its test accuracy.
#include <torch/torch.h>

#include <cstdint>
#include <functional>

#include "d2a/data/image_set.h"
#include "d2a/nn/nb201_network.h"
#include "d2a/space/nb201.h"
#include "d2a/train/budget.h"

namespace d2a {

// A labelled image set as tensors (the data module produces these).
struct TrainData {
  torch::Tensor images;  // [N, C, H, W] float32, normalised; C is 1 or 3, H, W >= 8
  torch::Tensor labels;  // [N] int64 in [0, classes)
};

// Both sides of one training run as tensors: `train` and `test` resized to image_size x
// image_size (channels kept) and normalised with the per-channel mean/std of `train` alone, so
// the test images never inform the normalisation.
struct TrainTestData {
  TrainData train;
  TrainData test;
};
TrainTestData make_train_test_data(const ImageSet& train, const ImageSet& test, int image_size);

// Reported after every optimisation step.
struct TrainProgress {
  int epoch = 0;  // 0-based
  int epochs = 0;
  std::int64_t step = 0;  // steps done so far, 1..total_steps
  std::int64_t total_steps = 0;
  double learning_rate = 0;  // the rate this step used
  double loss = 0;           // this step's mean training loss
};
using TrainCallback = std::function<void(const TrainProgress&)>;

struct EvalResult {
  double accuracy = 0;  // percent correct
  double loss = 0;      // mean cross-entropy
};

struct TrainResult {
  double test_accuracy = 0;  // percent, eval mode
  double test_loss = 0;
  double train_loss = 0;         // mean over the last epoch (augmented batches, train mode)
  double train_accuracy = 0;     // percent over the last epoch, same batches
  double train_seconds = 0;      // the training loop only, evaluation excluded
  double images_per_second = 0;  // training images processed per second (epochs x N / seconds)
  int epochs = 0;
  std::uint64_t seed = 0;
  std::int64_t num_parameters = 0;
  Nb201Network network{nullptr};  // the trained network, in eval mode, on `device`
};

// Builds the network of `cell` at the budget's size (input channels from the images, classes =
// 1 + the largest label of train and test), trains it with budget.recipe on `train` and
// evaluates it on `test`. The budget's image size and images per class are the data module's
// business; here the tensors are used as given. Seeds torch's global generator with `seed`
// (weight initialisation) and draws batch order and augmentation from its own generator, so two
// CPU runs with the same seed and thread count give identical weights. The cosine learning rate
// is updated every iteration. Throws d2a::Error (bad input) when the tensors do not have the
// shapes and types above or train and test disagree in channels or size.
TrainResult train_and_evaluate(const Nb201Cell& cell, const TrainData& train, const TrainData& test,
                               const Budget& budget, std::uint64_t seed,
                               torch::Device device = torch::kCPU,
                               const TrainCallback& progress = {});

// Drops the gradients of `parameters` (undefined tensors, not zeros), so that the next backward
// hands its fresh gradient buffers over instead of adding them into zeroed ones. LibTorch 1.13's
// C++ Optimizer::zero_grad() only zero-fills, which made a training step ~5-8% slower than
// PyTorch's Python zero_grad(set_to_none=True) (tools/bench/train_throughput.sh).
void clear_gradients(const std::vector<torch::Tensor>& parameters);

// Accuracy and loss of `network` on `data` in eval mode, without gradients, `batch_size` images
// at a time. Leaves the network in eval mode.
EvalResult evaluate(Nb201Network& network, const TrainData& data, int batch_size,
                    torch::Device device = torch::kCPU);

}  // namespace d2a
