#pragma once
// How one network is trained from scratch: optimiser, schedule and augmentation. No torch here
// (the database stores recipes without seeing a tensor); train/trainer.h applies them.
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

namespace d2a {

// The NAS-Bench-201 recipe by default: SGD with Nesterov momentum 0.9, weight decay 5e-4 on
// every parameter, batch 256, learning rate 0.1 annealed by a cosine to 0, random crop with
// padding 4 at 32x32 and horizontal flip.
struct TrainRecipe {
  int epochs = 200;
  int batch_size = 256;  // the last batch of an epoch may be smaller
  double learning_rate = 0.1;
  // The cosine reaches this at the end of the last epoch. It is updated every iteration (as
  // xautodl does for the benchmark), not once per epoch: see cosine_learning_rate.
  double min_learning_rate = 0.0;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;
  // Random crop back to the input size after padding each side with `crop_padding` zeros
  // (zero in the normalised space the trainer sees, i.e. the dataset mean colour).
  bool random_crop = true;
  int crop_padding = -1;  // pixels; -1 means image side / 8 (4 at 32x32, 2 at 16x16)
  // Mirror half the images left-right. Switch it off for digits and glyphs.
  bool horizontal_flip = true;
  // The DARTS evaluation recipe's extras, all off by default (the NB201 recipes leave them off):
  // Cutout: zero a cutout x cutout square at a uniformly drawn centre of each augmented image,
  // clipped at the borders (DeVries & Taylor, 2017; DARTS uses 16). 0: off.
  int cutout = 0;
  // Weight of the auxiliary head's cross-entropy added to the loss; 0: no auxiliary head.
  double auxiliary_weight = 0.0;
  // Drop path probability reached in the last epoch: epoch e (0-based) of E trains with
  // drop_path * e / E, as DARTS does. 0: off. Only networks with drop path (DARTS) honour it.
  double drop_path = 0.0;
  // Clip the gradients' global L2 norm to this before each step; 0: no clipping.
  double grad_clip = 0.0;
  // The forward passes' arithmetic: "fp32", or "bf16" autocast (train/precision.h; the weights,
  // gradients, optimiser and loss stay float32). Evaluation always runs in float32.
  std::string precision = "fp32";

  // Throws d2a::Error (bad input) naming the first field out of range.
  void validate() const;
  // The padding actually used on images of side `image_size`.
  int effective_crop_padding(int image_size) const;

  // Every field, by its name above; the DARTS extras (cutout, auxiliary_weight, drop_path,
  // grad_clip) and precision only when not the default, so that recipes stored before they existed (the
  // meta-database's budgets) keep their exact text. from_json takes missing fields from the
  // defaults, rejects unknown ones and validates; throws d2a::Error (bad input) naming the field.
  nlohmann::json to_json() const;
  static TrainRecipe from_json(const nlohmann::json& json);
};

// The forward-pass precisions a recipe or a search may name (train/precision.h), in the order
// --help lists them: "fp32", "bf16"; and the same as text for messages: "fp32 or bf16".
const std::vector<std::string>& precision_names();
std::string precision_choices();
bool is_precision_name(const std::string& name);

// The learning rate of iteration `step` (0-based) out of `total_steps`:
// min + (lr - min) * (1 + cos(pi * step / total_steps)) / 2. Step 0 gets the full rate; the
// rate would reach `min_learning_rate` at step == total_steps, one past the last iteration.
double cosine_learning_rate(const TrainRecipe& recipe, std::int64_t step, std::int64_t total_steps);

}  // namespace d2a
