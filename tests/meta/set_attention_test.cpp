#include "d2a/meta/set_attention.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "d2a/error.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

TEST(SetAttention, MultiheadAttentionBlockShapes) {
  torch::manual_seed(0);
  MultiheadAttentionBlock block(MultiheadAttentionBlockOptions(6, 10, 8).heads(2));
  const torch::Tensor out = block(torch::randn({3, 5, 6}), torch::randn({3, 7, 10}));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({3, 5, 8}));
}

TEST(SetAttention, MultiheadAttentionBlockWithLayerNormNormalisesOutput) {
  torch::manual_seed(1);
  MultiheadAttentionBlock block(MultiheadAttentionBlockOptions(4, 4, 8).heads(4).layer_norm(true));
  const torch::Tensor out = block(torch::randn({2, 3, 4}) * 10, torch::randn({2, 6, 4}));
  // The last LayerNorm starts at identity affine: every row has mean 0 and unit variance.
  EXPECT_TRUE(torch::allclose(out.mean(-1), torch::zeros({2, 3}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(out.var(-1, /*unbiased=*/false), torch::ones({2, 3}), 1e-3, 1e-3));
}

TEST(SetAttention, HeadsMustDivideOutputDim) {
  EXPECT_THROW(MultiheadAttentionBlock(MultiheadAttentionBlockOptions(4, 4, 10).heads(4)), Error);
  EXPECT_THROW(PoolingByMultiheadAttention(PoolingByMultiheadAttentionOptions(8, 0)), Error);
}

TEST(SetAttention, RejectsWrongInputShape) {
  SetAttentionBlock sab(SetAttentionBlockOptions(4, 8));
  EXPECT_THROW(sab(torch::randn({2, 3, 5})), Error);
  EXPECT_THROW(sab(torch::randn({3, 4})), Error);
}

TEST(SetAttention, SetAttentionBlockIsPermutationEquivariant) {
  torch::manual_seed(2);
  SetAttentionBlock sab(SetAttentionBlockOptions(5, 8).heads(2));
  const torch::Tensor x = torch::randn({2, 6, 5});
  const torch::Tensor perm = torch::tensor({3, 0, 5, 1, 4, 2});
  const torch::Tensor out = sab(x);
  EXPECT_TRUE(torch::allclose(sab(x.index_select(1, perm)), out.index_select(1, perm), 1e-5, 1e-5));
  // ... and not a per-element map: changing one element changes the others' outputs.
  torch::Tensor y = x.clone();
  y[0][0] += 1.0;
  EXPECT_GT((sab(y)[0][1] - out[0][1]).abs().max().item<double>(), 1e-4);
}

TEST(SetAttention, PoolingIsPermutationInvariantAndGivesOneVectorPerSeed) {
  torch::manual_seed(3);
  PoolingByMultiheadAttention pma(PoolingByMultiheadAttentionOptions(8, 3).heads(4));
  const torch::Tensor x = torch::randn({2, 5, 8});
  const torch::Tensor out = pma(x);
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({2, 3, 8}));
  const torch::Tensor perm = torch::tensor({4, 2, 0, 3, 1});
  EXPECT_TRUE(torch::allclose(pma(x.index_select(1, perm)), out, 1e-5, 1e-5));
  // The two sets of the batch differ, so their pooled vectors do too.
  EXPECT_GT((out[0] - out[1]).abs().max().item<double>(), 1e-4);
}

TEST(SetAttention, GradientsReachEveryParameter) {
  torch::manual_seed(4);
  PoolingByMultiheadAttention pma(PoolingByMultiheadAttentionOptions(8, 2).heads(2).layer_norm(true));
  SetAttentionBlock sab(SetAttentionBlockOptions(3, 8).heads(2));
  pma(sab(torch::randn({2, 4, 3}))).pow(2).sum().backward();
  test::expect_gradients_everywhere(*sab);
  test::expect_gradients_everywhere(*pma);
}

}  // namespace
}  // namespace d2a
