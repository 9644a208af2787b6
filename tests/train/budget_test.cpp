#include "d2a/train/budget.h"

#include <gtest/gtest.h>

#include <string>

#include "d2a/error.h"

namespace d2a {
namespace {

TEST(Budget, RegistryHoldsTheBenchmarkAndCpuBudgets) {
  const std::vector<std::string> names = budget_names();
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[0], "nb201-200ep");
  const Budget& full = find_budget("nb201-200ep");
  EXPECT_EQ(full.channels, 16);
  EXPECT_EQ(full.cells_per_stage, 5);
  EXPECT_EQ(full.image_size, 32);
  EXPECT_EQ(full.recipe.epochs, 200);
  EXPECT_EQ(full.recipe.batch_size, 256);
  EXPECT_EQ(full.train_per_class, 0);  // all images
  EXPECT_EQ(find_budget("nb201-12ep").recipe.epochs, 12);
  const Budget& fast = find_budget("cpu-fast");
  EXPECT_EQ(fast.channels, 8);
  EXPECT_EQ(fast.cells_per_stage, 1);
  EXPECT_EQ(fast.image_size, 16);
  const Budget& fast4 = find_budget("cpu-fast-4x");
  EXPECT_EQ(fast4.train_per_class * fast4.recipe.epochs,
            4 * fast.train_per_class * fast.recipe.epochs);
  const Nb201MacroConfig m = fast.macro_config(1, 5);
  EXPECT_EQ(m.channels, 8);
  EXPECT_EQ(m.cells_per_stage, 1);
  EXPECT_EQ(m.image_size, 16);
  EXPECT_EQ(m.input_channels, 1);
  EXPECT_EQ(m.num_classes, 5);
}

TEST(Budget, CpuUserIsTheHeldOutTablesBudget) {
  const Budget& user = find_budget("cpu-user");
  EXPECT_EQ(user.channels, 8);
  EXPECT_EQ(user.cells_per_stage, 2);
  EXPECT_EQ(user.image_size, 32);
  EXPECT_EQ(user.recipe.epochs, 20);
  EXPECT_EQ(user.train_per_class, 50);
  EXPECT_EQ(user.test_per_class, 0);
  EXPECT_FALSE(user.recipe.horizontal_flip);
  const Budget& db = find_budget("cpu-db");  // cpu-fast with three cells per stage, no flips
  EXPECT_EQ(db.cells_per_stage, 3);
  EXPECT_EQ(db.image_size, 16);
  EXPECT_EQ(db.recipe.epochs, 10);
  EXPECT_EQ(db.train_per_class, 50);
  EXPECT_FALSE(db.recipe.horizontal_flip);
}

TEST(Budget, OverridesChangeAndRenameTheBudget) {
  BudgetOverrides o;
  EXPECT_EQ(apply_overrides(find_budget("cpu-fast"), o), find_budget("cpu-fast"));
  o.epochs = 12;
  o.cells = 3;
  o.image_size = 32;
  o.train_per_class = 0;
  o.batch_size = 128;
  o.learning_rate = 0.1;
  o.no_flip = true;
  const Budget b = apply_overrides(find_budget("cpu-fast"), o);
  EXPECT_EQ(b.name, "cpu-fast[epochs=12,N=3,size=32,train/class=0,batch=128,lr=0.1,noflip]");
  EXPECT_EQ(b.recipe.batch_size, 128);
  EXPECT_DOUBLE_EQ(b.recipe.learning_rate, 0.1);
  EXPECT_EQ(b.recipe.epochs, 12);
  EXPECT_EQ(b.cells_per_stage, 3);
  EXPECT_EQ(b.image_size, 32);
  EXPECT_EQ(b.train_per_class, 0);
  EXPECT_FALSE(b.recipe.horizontal_flip);
  EXPECT_EQ(b.channels, 8);  // untouched
  // A DARTS network counts layers; a flip already off is no change.
  BudgetOverrides layers;
  layers.cells = 8;
  layers.no_flip = true;
  EXPECT_EQ(apply_overrides(find_budget("cpu-user"), layers, true).name, "cpu-user[layers=8]");
  BudgetOverrides bad;
  bad.image_size = 4;
  EXPECT_THROW(apply_overrides(find_budget("cpu-fast"), bad), Error);
}

TEST(Budget, DartsBudgetIsTheDartsEvaluationRecipe) {
  const Budget& d = find_budget("darts-600ep");
  EXPECT_EQ(d.channels, 36);
  EXPECT_EQ(d.cells_per_stage, 20);  // layers
  EXPECT_EQ(d.image_size, 32);
  EXPECT_EQ(d.recipe.epochs, 600);
  EXPECT_EQ(d.recipe.batch_size, 96);
  EXPECT_DOUBLE_EQ(d.recipe.learning_rate, 0.025);
  EXPECT_DOUBLE_EQ(d.recipe.min_learning_rate, 0.0);
  EXPECT_DOUBLE_EQ(d.recipe.momentum, 0.9);
  EXPECT_FALSE(d.recipe.nesterov);
  EXPECT_DOUBLE_EQ(d.recipe.weight_decay, 3e-4);
  EXPECT_EQ(d.recipe.effective_crop_padding(32), 4);
  EXPECT_TRUE(d.recipe.horizontal_flip);
  EXPECT_EQ(d.recipe.cutout, 16);
  EXPECT_DOUBLE_EQ(d.recipe.auxiliary_weight, 0.4);
  EXPECT_DOUBLE_EQ(d.recipe.drop_path, 0.2);
  EXPECT_DOUBLE_EQ(d.recipe.grad_clip, 5.0);
  // The NAS-Bench-201 budgets keep their recipe text: none of the DARTS extras.
  EXPECT_FALSE(find_budget("cpu-fast").to_json()["recipe"].contains("cutout"));
}

TEST(Budget, UnknownNameListsTheValidOnes) {
  try {
    find_budget("nb201-201ep");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.exit_status(), 2);
    EXPECT_NE(message.find("nb201-201ep"), std::string::npos) << message;
    for (const auto& name : budget_names()) {
      EXPECT_NE(message.find(name), std::string::npos) << message;
    }
  }
}

TEST(Budget, EveryNamedBudgetRoundTripsThroughJson) {
  for (const Budget& b : named_budgets()) {
    const nlohmann::json j = b.to_json();
    const Budget back = Budget::from_json(nlohmann::json::parse(j.dump()));
    EXPECT_EQ(back, b) << j.dump();
    EXPECT_EQ(back.to_json(), j);
    EXPECT_EQ(back.name, b.name);
    EXPECT_EQ(back.recipe.epochs, b.recipe.epochs);
  }
  Budget changed = find_budget("cpu-fast");
  changed.recipe.horizontal_flip = false;
  EXPECT_NE(changed, find_budget("cpu-fast"));
}

TEST(Budget, FromJsonRejectsMissingUnknownAndInvalidFields) {
  const nlohmann::json good = find_budget("cpu-fast").to_json();
  nlohmann::json missing = good;
  missing.erase("channels");
  EXPECT_THROW(Budget::from_json(missing), Error);
  nlohmann::json unknown = good;
  unknown["chanels"] = 8;
  EXPECT_THROW(Budget::from_json(unknown), Error);
  nlohmann::json tiny = good;
  tiny["image_size"] = 4;
  EXPECT_THROW(Budget::from_json(tiny), Error);
  nlohmann::json bad_recipe = good;
  bad_recipe["recipe"]["batch_size"] = 0;
  EXPECT_THROW(Budget::from_json(bad_recipe), Error);
}

}  // namespace
}  // namespace d2a
