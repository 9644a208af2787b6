#pragma once
// Named training budgets: the recipe, the network size and the amount of data that together say
// what one accuracy number means. The meta-database stores each record's budget; reduced budgets
// are named here, never silent changes. No torch here.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "d2a/space/nb201_cost.h"
#include "d2a/train/recipe.h"

namespace d2a {

struct Budget {
  std::string name;
  std::string description;  // one line, for --help and the database
  TrainRecipe recipe;
  int channels = 16;        // C of the NAS-Bench-201 network (of the first cells for DARTS)
  int cells_per_stage = 5;  // N; for a DARTS network, the number of cells in total (layers)
  int image_size = 32;      // images are resized to image_size x image_size before training
  int train_per_class = 0;  // images per class drawn for training; 0 means all available
  int test_per_class = 0;   // images per class drawn for testing; 0 means all available

  // The network for data with `input_channels` (1 or 3) and `num_classes` classes.
  Nb201MacroConfig macro_config(int input_channels, int num_classes) const;

  // Throws d2a::Error (bad input) naming the budget and the first field out of range.
  void validate() const;
  // {"name", "description", "recipe": {...}, "channels", "cells_per_stage", "image_size",
  //  "train_per_class", "test_per_class"}; from_json rejects unknown and missing fields (a
  // recipe's own fields may be missing: they default) and validates.
  nlohmann::json to_json() const;
  static Budget from_json(const nlohmann::json& json);
};

// Changes to a named budget asked for on the command line. Any change renames the budget,
// "<name>[epochs=12,C=8,noflip]", so that no number is ever reported under a recipe it did not
// follow. Unset fields (0, or -1 for the per-class counts, whose 0 means "all") keep the budget's.
struct BudgetOverrides {
  int epochs = 0;
  int channels = 0;
  int cells = 0;            // N; for a DARTS network the number of cells in total ("layers=")
  int image_size = 0;
  int train_per_class = -1;
  int test_per_class = -1;
  int batch_size = 0;       // images per optimisation step (all data-parallel ranks together)
  double learning_rate = 0;  // the cosine's peak; 0 keeps the recipe's (named "lr=0.1")
  bool no_flip = false;
  std::string precision;    // "" keeps the recipe's; "fp32" or "bf16" (renamed "bf16" if changed)
};
// The budget with the overrides applied and renamed, validated. `darts` names the cell count
// "layers" instead of "N".
Budget apply_overrides(Budget budget, const BudgetOverrides& overrides, bool darts = false);

bool operator==(const Budget& a, const Budget& b);
inline bool operator!=(const Budget& a, const Budget& b) { return !(a == b); }
bool operator==(const TrainRecipe& a, const TrainRecipe& b);
inline bool operator!=(const TrainRecipe& a, const TrainRecipe& b) { return !(a == b); }

// The registry, in a fixed order:
//   nb201-200ep   C16 N5 32x32, 200 epochs, all images: the benchmark's own recipe
//   nb201-12ep    the same for 12 epochs (the benchmark's short table)
//   cpu-fast      C8 N1 16x16, 10 epochs over 50 images per class, batch 64, lr 0.05: a few
//                 seconds per record on 2 cores, for building meta-databases
//   cpu-fast-4x   cpu-fast with twice the images and twice the epochs, to check how faithfully
//                 cpu-fast ranks cells
//   cpu-user      C8 N2 32x32, 20 epochs over 50 images per class, batch 64, lr 0.05, no flips:
//                 what a user trains one candidate with on a 2-core CPU (about 20 s); the
//                 held-out ground-truth tables (meta_db/heldout) use it
//   cpu-db        C8 N3 16x16, 10 epochs over 50 images per class, no flips: the shipped
//                 meta-database's records (tools/budget_study.sh chose it)
//   darts-600ep   the DARTS evaluation recipe for DARTS genotypes: C36, 20 cells, 32x32, 600
//                 epochs, SGD 0.025 momentum 0.9 (no Nesterov), wd 3e-4, batch 96, cutout 16,
//                 auxiliary weight 0.4, drop path 0.2, gradient clip 5
const std::vector<Budget>& named_budgets();
std::vector<std::string> budget_names();
// Throws d2a::Error (bad input) "unknown budget 'x' (valid: nb201-200ep, ...)".
const Budget& find_budget(const std::string& name);

}  // namespace d2a
