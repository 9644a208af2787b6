#include "d2a/train/darts_trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "d2a/error.h"
#include "d2a/space/darts_published.h"
#include "train_test_support.h"

namespace d2a {
namespace {

using test::synthetic;

const DartsGenotype kGenotype = *find_published_darts_genotype("DARTS_V2");

// The DARTS recipe at a size that trains in a second or two: C4, 3 cells, 16x16.
Budget tiny_darts_budget() {
  Budget b = find_budget("darts-600ep");
  b.name = "test-darts-tiny";
  b.channels = 4;
  b.cells_per_stage = 3;
  b.image_size = 16;
  b.recipe.epochs = 4;
  b.recipe.batch_size = 32;
  b.recipe.learning_rate = 0.05;
  b.recipe.cutout = 4;
  b.recipe.drop_path = 0.2;
  return b;
}

// The network train_and_evaluate builds for `budget` and `seed`, before any training.
DartsNetwork initial_network(const Budget& budget, std::uint64_t seed) {
  torch::manual_seed(seed);
  return DartsNetwork(DartsNetworkOptions(kGenotype)
                          .channels(budget.channels)
                          .layers(budget.cells_per_stage)
                          .num_classes(3)
                          .auxiliary(budget.recipe.auxiliary_weight > 0));
}

double largest_change(const DartsNetwork& before, const DartsNetwork& after) {
  double change = 0;
  const auto trained = after->named_parameters();
  for (const auto& item : before->named_parameters()) {
    change = std::max(change, (trained[item.key()].cpu() - item.value()).abs().max().item<double>());
  }
  return change;
}

TEST(DartsTrainer, TinyRunLearnsWithAuxiliaryHeadAndRisingDropPath) {
  const TrainData train = synthetic(64, 1);
  const TrainData test = synthetic(30, 2);
  const Budget budget = tiny_darts_budget();
  int calls = 0;
  const DartsTrainResult r =
      train_and_evaluate(kGenotype, train, test, budget, 7, torch::kCPU,
                         [&](const TrainProgress&) { ++calls; });
  std::cout << "[ info ] DARTS test accuracy " << r.test_accuracy << "%, train loss "
            << r.train_loss << ", " << r.train_seconds << " s" << std::endl;
  EXPECT_GT(r.test_accuracy, 60.0);  // chance is 33%
  EXPECT_EQ(calls, 4 * 6);           // 192 images in batches of 32
  ASSERT_TRUE(r.network);
  EXPECT_FALSE(r.network->is_training());
  ASSERT_TRUE(r.network->auxiliary_head);
  EXPECT_EQ(r.network->options.num_classes(), 3);
  EXPECT_EQ(r.network->options.layers(), 3);
  // The last of 4 epochs trained with 0.2 * 3 / 4.
  EXPECT_DOUBLE_EQ(r.network->options.drop_path_prob(), 0.2 * 3 / 4);
  EXPECT_EQ(r.num_parameters, r.network->num_parameters());  // without the auxiliary head
  EXPECT_LT(r.num_parameters, r.network->num_parameters_with_auxiliary());
  // The auxiliary loss trained the head.
  const DartsNetwork initial = initial_network(budget, 7);
  EXPECT_FALSE(torch::equal(initial->auxiliary_head->conv1->weight,
                            r.network->auxiliary_head->conv1->weight));
  // evaluate() on the same network agrees.
  TrainableNetwork eval_net{r.network.ptr(),
                            [impl = r.network.ptr()](const torch::Tensor& x) {
                              return TrainOutput{impl->forward(x).logits, {}};
                            },
                            {},
                            0};
  EXPECT_DOUBLE_EQ(evaluate(eval_net, test, 13).accuracy, r.test_accuracy);
}

TEST(DartsTrainer, SameSeedSameWeightsAndNoHeadWithoutAuxiliaryWeight) {
  const TrainData train = synthetic(12, 3);
  const TrainData test = synthetic(6, 4);
  Budget budget = tiny_darts_budget();
  budget.recipe.epochs = 2;
  budget.recipe.auxiliary_weight = 0;
  const DartsTrainResult a = train_and_evaluate(kGenotype, train, test, budget, 5);
  const DartsTrainResult b = train_and_evaluate(kGenotype, train, test, budget, 5);
  EXPECT_FALSE(a.network->auxiliary_head);
  EXPECT_EQ(a.train_loss, b.train_loss);
  EXPECT_EQ(largest_change(a.network, b.network), 0.0);
}

TEST(DartsTrainer, GradientClippingBoundsEveryStep) {
  const TrainData train = synthetic(12, 5);
  const TrainData test = synthetic(4, 6);
  Budget budget = tiny_darts_budget();
  budget.recipe.epochs = 1;
  budget.recipe.weight_decay = 0;  // weight decay would move weights past the clipped gradient
  budget.recipe.grad_clip = 1e-9;
  const DartsTrainResult clipped = train_and_evaluate(kGenotype, train, test, budget, 9);
  EXPECT_LT(largest_change(initial_network(budget, 9), clipped.network), 1e-8);
  budget.recipe.grad_clip = 0;
  const DartsTrainResult free = train_and_evaluate(kGenotype, train, test, budget, 9);
  EXPECT_GT(largest_change(initial_network(budget, 9), free.network), 1e-3);
}

TEST(DartsTrainer, RejectsMalformedData) {
  const TrainData good = synthetic(4, 7);
  TrainData int_labels{good.images, good.labels.to(torch::kInt)};
  EXPECT_THROW(train_and_evaluate(kGenotype, int_labels, good, tiny_darts_budget(), 0), Error);
}

}  // namespace
}  // namespace d2a
