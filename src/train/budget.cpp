#include "d2a/train/budget.h"

#include <iomanip>
#include <sstream>
#include <string>

#include "d2a/error.h"
#include "json_fields.h"

namespace d2a {
namespace {

std::vector<Budget> make_registry() {
  std::vector<Budget> budgets;

  Budget full;
  full.name = "nb201-200ep";
  full.description =
      "NAS-Bench-201 recipe: C16 N5 at 32x32, 200 epochs over all images, batch 256, lr 0.1";
  full.recipe.epochs = 200;
  budgets.push_back(full);

  Budget short_run = full;
  short_run.name = "nb201-12ep";
  short_run.description = "NAS-Bench-201 short recipe: C16 N5 at 32x32, 12 epochs";
  short_run.recipe.epochs = 12;
  budgets.push_back(short_run);

  // Sized for meta-database records on a 2-core CPU: the largest cell (all conv3x3) at C8 N1
  // 16x16 trains at about 2,900 images/s there, so 10 epochs over 10 classes x 50 images is
  // about 2 s. Batch 64 keeps the number of SGD steps useful on 500 images (80 steps).
  Budget fast;
  fast.name = "cpu-fast";
  fast.description =
      "CPU records: C8 N1 at 16x16, 10 epochs over 50 images per class (20 to test), batch 64";
  fast.channels = 8;
  fast.cells_per_stage = 1;
  fast.image_size = 16;
  fast.train_per_class = 50;
  fast.test_per_class = 20;
  fast.recipe.epochs = 10;
  fast.recipe.batch_size = 64;
  fast.recipe.learning_rate = 0.05;
  budgets.push_back(fast);

  Budget fast4 = fast;
  fast4.name = "cpu-fast-4x";
  fast4.description =
      "cpu-fast x4 for faithfulness checks: 20 epochs over 100 images per class (20 to test)";
  fast4.train_per_class = 100;
  fast4.recipe.epochs = 20;
  budgets.push_back(fast4);

  // What a user of a small 32x32 image dataset trains one candidate cell with on a 2-core CPU:
  // native resolution and two cells per stage (at N=1 the residual blocks outweigh the cell),
  // C=8 so that one candidate costs about 20 s on one core (C16 N5, the benchmark network,
  // trains at ~78 images/s on both cores: minutes per epoch), 20 epochs so that the cosine
  // schedule converges. No flips: they change what a glyph, an arrow or a sign means. The
  // held-out ground-truth tables of meta_db/heldout are measured with it.
  Budget user;
  user.name = "cpu-user";
  user.description =
      "CPU candidate training: C8 N2 at 32x32, 20 epochs over 50 images per class, batch 64, "
      "no flips";
  user.channels = 8;
  user.cells_per_stage = 2;
  user.image_size = 32;
  user.train_per_class = 50;
  user.test_per_class = 0;
  user.recipe.epochs = 20;
  user.recipe.batch_size = 64;
  user.recipe.learning_rate = 0.05;
  user.recipe.horizontal_flip = false;
  budgets.push_back(user);

  // The shipped meta-database's budget, chosen by tools/budget_study.sh: of the cheap candidates
  // it agreed best with cpu-user on the tasks whose cells differ (Fashion-MNIST 0.51, emoji 0.43
  // against cpu-user's own two-seed agreement of 0.65 and 0.52), at ~2.6 s a record on one core.
  // Three cells per stage make the cell, not the residual blocks, most of the network.
  Budget db = fast;
  db.name = "cpu-db";
  db.description =
      "meta-database records: C8 N3 at 16x16, 10 epochs over 50 images per class (20 to test), "
      "batch 64, no flips";
  db.cells_per_stage = 3;
  db.recipe.horizontal_flip = false;
  budgets.push_back(db);

  // The DARTS evaluation recipe (train.py of the DARTS code): for DARTS genotypes, where
  // channels is C and cells_per_stage the number of cells (layers). DARTS anneals the cosine
  // once per epoch; the per-iteration cosine here differs from it by under one epoch's step.
  Budget darts;
  darts.name = "darts-600ep";
  darts.description =
      "DARTS evaluation recipe: C36, 20 cells at 32x32, 600 epochs, batch 96, lr 0.025, wd 3e-4, "
      "cutout 16, auxiliary 0.4, drop path 0.2, clip 5";
  darts.channels = 36;
  darts.cells_per_stage = 20;
  darts.recipe.epochs = 600;
  darts.recipe.batch_size = 96;
  darts.recipe.learning_rate = 0.025;
  darts.recipe.nesterov = false;
  darts.recipe.weight_decay = 3e-4;
  darts.recipe.cutout = 16;
  darts.recipe.auxiliary_weight = 0.4;
  darts.recipe.drop_path = 0.2;
  darts.recipe.grad_clip = 5;
  budgets.push_back(darts);

  for (const auto& b : budgets) b.validate();
  return budgets;
}

}  // namespace

Nb201MacroConfig Budget::macro_config(int input_channels, int num_classes) const {
  Nb201MacroConfig m;
  m.channels = channels;
  m.cells_per_stage = cells_per_stage;
  m.image_size = image_size;
  m.input_channels = input_channels;
  m.num_classes = num_classes;
  return m;
}

void Budget::validate() const {
  const std::string what = "budget '" + name + "': ";
  if (name.empty()) throw bad_input("budget: empty name");
  if (channels <= 0) throw bad_input(what + "channels " + std::to_string(channels) + " (> 0)");
  if (cells_per_stage <= 0) {
    throw bad_input(what + "cells_per_stage " + std::to_string(cells_per_stage) + " (> 0)");
  }
  if (image_size < 8) {
    throw bad_input(what + "image_size " + std::to_string(image_size) + " (at least 8)");
  }
  if (train_per_class < 0 || test_per_class < 0) {
    throw bad_input(what + "images per class must be positive, or 0 for all");
  }
  try {
    recipe.validate();
  } catch (const Error& e) {
    throw bad_input(what + e.what());
  }
}

nlohmann::json Budget::to_json() const {
  return {{"name", name},
          {"description", description},
          {"recipe", recipe.to_json()},
          {"channels", channels},
          {"cells_per_stage", cells_per_stage},
          {"image_size", image_size},
          {"train_per_class", train_per_class},
          {"test_per_class", test_per_class}};
}

Budget Budget::from_json(const nlohmann::json& json) {
  const detail::JsonFields fields(json, "budget",
                                  {"name", "description", "recipe", "channels", "cells_per_stage",
                                   "image_size", "train_per_class", "test_per_class"});
  Budget b;
  fields.read("name", b.name, true);
  fields.read("description", b.description, true);
  b.recipe = TrainRecipe::from_json(fields.at("recipe"));
  fields.read("channels", b.channels, true);
  fields.read("cells_per_stage", b.cells_per_stage, true);
  fields.read("image_size", b.image_size, true);
  fields.read("train_per_class", b.train_per_class, true);
  fields.read("test_per_class", b.test_per_class, true);
  b.validate();
  return b;
}

Budget apply_overrides(Budget b, const BudgetOverrides& o, bool darts) {
  std::vector<std::string> changes;
  auto override = [&](int value, int& field, const char* label) {
    field = value;
    changes.push_back(std::string(label) + "=" + std::to_string(value));
  };
  if (o.epochs > 0) override(o.epochs, b.recipe.epochs, "epochs");
  if (o.channels > 0) override(o.channels, b.channels, "C");
  if (o.cells > 0) override(o.cells, b.cells_per_stage, darts ? "layers" : "N");
  if (o.image_size > 0) override(o.image_size, b.image_size, "size");
  if (o.train_per_class >= 0) override(o.train_per_class, b.train_per_class, "train/class");
  if (o.test_per_class >= 0) override(o.test_per_class, b.test_per_class, "test/class");
  if (o.batch_size > 0) override(o.batch_size, b.recipe.batch_size, "batch");
  if (o.learning_rate > 0) {
    b.recipe.learning_rate = o.learning_rate;
    std::ostringstream text;  // shortest form that reads back: 0.1, 0.05, 1e-05
    text << std::setprecision(6) << o.learning_rate;
    changes.push_back("lr=" + text.str());
  }
  if (o.no_flip && b.recipe.horizontal_flip) {
    b.recipe.horizontal_flip = false;
    changes.push_back("noflip");
  }
  if (!o.precision.empty() && o.precision != b.recipe.precision) {
    b.recipe.precision = o.precision;
    changes.push_back(o.precision);
  }
  if (!changes.empty()) {
    std::string joined;
    for (const auto& c : changes) joined += (joined.empty() ? "" : ",") + c;
    b.name += "[" + joined + "]";
  }
  b.validate();
  return b;
}

bool operator==(const TrainRecipe& a, const TrainRecipe& b) { return a.to_json() == b.to_json(); }

bool operator==(const Budget& a, const Budget& b) { return a.to_json() == b.to_json(); }

const std::vector<Budget>& named_budgets() {
  static const std::vector<Budget> budgets = make_registry();
  return budgets;
}

std::vector<std::string> budget_names() {
  std::vector<std::string> names;
  for (const auto& b : named_budgets()) names.push_back(b.name);
  return names;
}

const Budget& find_budget(const std::string& name) {
  for (const auto& b : named_budgets()) {
    if (b.name == name) return b;
  }
  std::string valid;
  for (const auto& n : budget_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw bad_input("unknown budget '" + name + "' (valid: " + valid + ")");
}

}  // namespace d2a
