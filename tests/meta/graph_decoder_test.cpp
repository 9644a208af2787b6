#include "d2a/meta/graph_decoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

GraphDecoderOptions small_options() { return GraphDecoderOptions().latent_dim(16).hidden_dim(64); }

TEST(GraphDecoder, TeacherForcedLogitsAndLoss) {
  torch::manual_seed(0);
  GraphDecoder decoder(small_options());
  const torch::Tensor z = torch::randn({4, 16});
  const torch::Tensor codes = cells_to_op_codes(test::random_cells(4, 1));
  const torch::Tensor logits = decoder(z, codes);
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({4, 6, 5}));
  const torch::Tensor loss = decoder->loss(z, codes);
  EXPECT_EQ(loss.dim(), 0);
  // Sum over 6 nodes of a cross-entropy near log(5) at initialisation.
  EXPECT_NEAR(loss.item<double>(), 6 * std::log(5.0), 1.5);
  // The loss is the mean over the batch of each cell's summed cross-entropy.
  double manual = 0;
  const torch::Tensor log_probs = torch::log_softmax(logits, 2);
  for (int b = 0; b < 4; ++b) {
    for (int e = 0; e < 6; ++e) manual -= log_probs[b][e][codes[b][e].item<int64_t>()].item<double>();
  }
  EXPECT_NEAR(loss.item<double>(), manual / 4, 1e-4);
}

TEST(GraphDecoder, TeacherForcingConditionsOnEarlierNodesOnly) {
  torch::manual_seed(1);
  GraphDecoder decoder(small_options());
  const torch::Tensor z = torch::randn({1, 16}).expand({2, 16});
  torch::Tensor codes = torch::zeros({2, 6}, torch::kInt64);
  codes[1][3] = 3;  // the two targets differ from node 4 (edge 3) on
  const torch::Tensor logits = decoder(z, codes);
  // Nodes up to edge 3 see identical histories; later ones do not.
  EXPECT_TRUE(torch::allclose(logits[0].slice(0, 0, 4), logits[1].slice(0, 0, 4)));
  EXPECT_GT((logits[0][4] - logits[1][4]).abs().max().item<double>(), 1e-6);
}

TEST(GraphDecoder, GradientsReachEveryParameter) {
  torch::manual_seed(2);
  GraphDecoder decoder(small_options());
  const torch::Tensor z = torch::randn({3, 16}, torch::requires_grad());
  decoder->loss(z, cells_to_op_codes(test::random_cells(3, 2))).backward();
  test::expect_gradients_everywhere(*decoder);
  EXPECT_GT(z.grad().abs().max().item<double>(), 0.0);
}

TEST(GraphDecoder, DecodesOnlyValidCellsAndSamplesTheWholeSpace) {
  torch::manual_seed(3);
  GraphDecoder decoder(small_options());
  const torch::Tensor z = torch::randn({2000, 16}) * 3;
  const torch::Tensor sampled = decoder->decode_sampled_codes(z, make_sampler(11));
  EXPECT_EQ(sampled.sizes(), torch::IntArrayRef({2000, 6}));
  EXPECT_NO_THROW(check_op_codes(sampled, "test"));
  const std::vector<Nb201Cell> cells = cells_from_op_codes(sampled);
  // An untrained decoder spreads its samples: every op appears at every edge.
  for (int e = 0; e < kNb201NumEdges; ++e) {
    std::set<Nb201Op> ops;
    for (const auto& cell : cells) ops.insert(cell.op(e));
    EXPECT_EQ(ops.size(), 5u) << "edge " << e;
  }
  const std::vector<Nb201Cell> greedy = decoder->decode_greedy(z);
  ASSERT_EQ(greedy.size(), 2000u);
  EXPECT_EQ(decoder->decode_greedy(z), greedy);
}

TEST(GraphDecoder, SamplingIsSeeded) {
  torch::manual_seed(4);
  GraphDecoder decoder(small_options());
  const torch::Tensor z = torch::randn({50, 16});
  const auto a = decoder->decode_sampled(z, make_sampler(5));
  EXPECT_EQ(decoder->decode_sampled(z, make_sampler(5)), a);
  EXPECT_NE(decoder->decode_sampled(z, make_sampler(6)), a);
}

TEST(GraphDecoder, RejectsMismatchedInputs) {
  GraphDecoder decoder(small_options());
  EXPECT_THROW(decoder->decode_greedy(torch::randn({2, 15})), Error);
  EXPECT_THROW(decoder->loss(torch::randn({2, 16}), torch::zeros({3, 6}, torch::kInt64)), Error);
  EXPECT_THROW(decoder->loss(torch::randn({2, 16}), torch::full({2, 6}, 7, torch::kInt64)), Error);
}

TEST(GraphDecoder, OverfitsOneCellFromAFixedLatent) {
  torch::manual_seed(5);
  GraphDecoder decoder(GraphDecoderOptions().latent_dim(56).hidden_dim(128));
  const torch::Tensor z = torch::randn({1, 56});
  const Nb201Cell target = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|nor_conv_3x3~2|");
  const torch::Tensor codes = cells_to_op_codes({target});
  torch::optim::Adam optimizer(decoder->parameters(), torch::optim::AdamOptions(1e-3));
  const double initial = decoder->loss(z, codes).item<double>();
  for (int step = 0; step < 200; ++step) {
    optimizer.zero_grad();
    decoder->loss(z, codes).backward();
    optimizer.step();
  }
  EXPECT_LT(decoder->loss(z, codes).item<double>(), initial / 10);
  EXPECT_EQ(decoder->decode_greedy(z).at(0), target);
}

}  // namespace
}  // namespace d2a
