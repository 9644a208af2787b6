#pragma once
// Training a network from scratch and measuring its test accuracy: one loop for every network
// (train_network), and its use for a NAS-Bench-201 cell (train_and_evaluate). The DARTS
// evaluation network goes through the same loop (darts_trainer.h).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "d2a/data/image_set.h"
#include "d2a/nn/nb201_network.h"
#include "d2a/space/nb201.h"
#include "d2a/train/budget.h"

namespace d2a {

// A labelled image set as tensors (the data module produces these).
struct TrainData {
  torch::Tensor images;  // [N, C, H, W] float32, normalised; C is 1 or 3, H, W >= 8
  torch::Tensor labels;  // [N] int64 in [0, classes)
  // The per-channel normalisation the images went through, (x - mean[c]) / std[c] after
  // scaling to [0, 1]; empty when unknown. Lets training keep uint8 pixels on the device
  // (resident_images.h).
  std::vector<float> mean;
  std::vector<float> std;
};

// Both sides of one training run as tensors: `train` and `test` resized to image_size x
// image_size (channels kept) and normalised with the per-channel mean/std of `train` alone, so
// the test images never inform the normalisation.
struct TrainTestData {
  TrainData train;
  TrainData test;
};
TrainTestData make_train_test_data(const ImageSet& train, const ImageSet& test, int image_size);

// One image set as tensors, resized to image_size x image_size (channels kept) and normalised
// with its own per-channel mean/std (a search splits it afterwards; see search_run.h).
TrainData make_train_data(const ImageSet& set, int image_size);

// Reported after every optimisation step.
struct TrainProgress {
  int epoch = 0;  // 0-based
  int epochs = 0;
  std::int64_t step = 0;  // steps done so far, 1..total_steps
  std::int64_t total_steps = 0;
  double learning_rate = 0;  // the rate this step used
  torch::Tensor step_loss;   // this step's mean training loss, a scalar on the training device
  // step_loss as a number. On a GPU this waits for the step to finish (a device-to-host copy),
  // which the training loop itself never does per step: read it only when showing it.
  double loss() const { return step_loss.item<double>(); }
};
using TrainCallback = std::function<void(const TrainProgress&)>;

struct EvalResult {
  double accuracy = 0;  // percent correct
  double loss = 0;      // mean cross-entropy
};

// What every training run reports, whatever its network.
struct TrainStats {
  double test_accuracy = 0;  // percent, eval mode
  double test_loss = 0;
  // Mean over the last epoch of the optimised loss (augmented batches, train mode; with the
  // auxiliary term when the recipe and the network have one).
  double train_loss = 0;
  double train_accuracy = 0;     // percent over the last epoch, same batches, main logits
  double train_seconds = 0;      // the training loop only, evaluation excluded
  double images_per_second = 0;  // training images processed per second (epochs x N / seconds)
  int epochs = 0;
  std::uint64_t seed = 0;
  std::int64_t num_parameters = 0;
  int world_size = 1;                 // processes that trained it (dist::world())
  double communication_seconds = 0;   // of train_seconds, spent in collectives
  // The fraction of a batch each rank took at the end (dist::ShareBalancer; equal unless
  // --balance), and how often the ranks re-split by their measured speed.
  std::vector<double> share_fractions{1.0};
  int share_updates = 0;
};

struct TrainResult : TrainStats {
  Nb201Network network{nullptr};  // the trained network, in eval mode, on `device`
};

// One forward pass as the training loop sees it.
struct TrainOutput {
  torch::Tensor logits;      // [B, classes]
  torch::Tensor aux_logits;  // [B, classes] from an auxiliary head in training, else undefined
};

// A network of any search space, as the training loop drives it.
struct TrainableNetwork {
  std::shared_ptr<torch::nn::Module> module;  // parameters, train()/eval(), to(device)
  // images [B, C, H, W] -> logits (and auxiliary logits in train mode, where the network has them)
  std::function<TrainOutput(const torch::Tensor& images)> forward;
  // Called before the first step of every epoch (0-based) of `epochs`; may be empty. The DARTS
  // network raises its drop path probability here.
  std::function<void(int epoch, int epochs)> start_epoch;
  std::int64_t num_parameters = 0;  // what TrainStats reports
};

// Builds the network for images with `input_channels` channels and `num_classes` classes.
using NetworkBuilder =
    std::function<TrainableNetwork(int input_channels, int num_classes)>;

// The training loop every network goes through. Checks the data (see train_and_evaluate below),
// seeds torch's global generator with `seed`, calls `build` (so weight initialisation is
// seeded), then trains with `recipe`: SGD (momentum, Nesterov, weight decay on every parameter),
// the cosine learning rate updated every iteration, augment_batch on every batch drawn in a
// seeded shuffled order, the auxiliary loss term when recipe.auxiliary_weight > 0 and the
// network returns auxiliary logits, and gradient clipping when recipe.grad_clip > 0. Finally
// evaluates on `test`, leaving the network in eval mode. When dist::world() has joined a
// data-parallel job, each rank trains on its share of every batch and the gradients are
// averaged (see process_group.h); the ranks end with identical networks.
TrainStats train_network(const NetworkBuilder& build, const TrainData& train,
                         const TrainData& test, const TrainRecipe& recipe, std::uint64_t seed,
                         torch::Device device = torch::kCPU, const TrainCallback& progress = {});

// Throws d2a::Error (bad input) when the budget's recipe asks for what an NB201 network does
// not have (an auxiliary head, drop path), e.g. darts-600ep.
void check_nb201_budget(const Budget& budget);

// Builds the network of `cell` at the budget's size (input channels from the images, classes =
// 1 + the largest label of train and test), trains it with budget.recipe on `train` and
// evaluates it on `test`. The budget's image size and images per class are the data module's
// business; here the tensors are used as given. Seeds torch's global generator with `seed`
// (weight initialisation) and draws batch order and augmentation from its own generator, so two
// CPU runs with the same seed and thread count give identical weights. The cosine learning rate
// is updated every iteration. Throws d2a::Error (bad input) when the tensors do not have the
// shapes and types above, train and test disagree in channels or size, or check_nb201_budget
// fails.
TrainResult train_and_evaluate(const Nb201Cell& cell, const TrainData& train, const TrainData& test,
                               const Budget& budget, std::uint64_t seed,
                               torch::Device device = torch::kCPU,
                               const TrainCallback& progress = {});

// Drops the gradients of `parameters` (undefined tensors, not zeros), so that the next backward
// hands its fresh gradient buffers over instead of adding them into zeroed ones. LibTorch 1.13's
// C++ Optimizer::zero_grad() only zero-fills, which made a training step ~5-8% slower than
// PyTorch's Python zero_grad(set_to_none=True) (tools/bench/train_throughput.sh).
void clear_gradients(const std::vector<torch::Tensor>& parameters);

// Accuracy and loss of `network`'s logits on `data` in eval mode, without gradients,
// `batch_size` images at a time. Leaves the network in eval mode.
EvalResult evaluate(const TrainableNetwork& network, const TrainData& data, int batch_size,
                    torch::Device device = torch::kCPU);
EvalResult evaluate(Nb201Network& network, const TrainData& data, int batch_size,
                    torch::Device device = torch::kCPU);

}  // namespace d2a
