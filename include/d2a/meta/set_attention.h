#pragma once
// Set Transformer building blocks (Lee et al. 2019, "Set Transformer"): the multihead attention
// block MAB, the set attention block SAB = MAB(X, X), and pooling by multihead attention
// PMA = MAB(S, X) with learned seed vectors S. SAB is permutation-equivariant over the set
// axis; PMA is permutation-invariant. No masking: every set in a batch has the same size.
#include <torch/torch.h>

namespace d2a {

struct MultiheadAttentionBlockOptions {
  // dim_query: feature size of the queries X; dim_key: of the keys/values Y; dim_out: of the
  // output (the projected queries, keys and values all have dim_out features).
  MultiheadAttentionBlockOptions(int64_t dim_query, int64_t dim_key, int64_t dim_out)
      : dim_query_(dim_query), dim_key_(dim_key), dim_out_(dim_out) {}
  TORCH_ARG(int64_t, dim_query);
  TORCH_ARG(int64_t, dim_key);
  TORCH_ARG(int64_t, dim_out);
  TORCH_ARG(int64_t, heads) = 4;  // must divide dim_out
  TORCH_ARG(bool, layer_norm) = false;
};

// MAB(X, Y): H = LN(Q(X) + Attention(Q(X), K(Y), V(Y))); out = LN(H + relu(Linear(H))).
// Attention is softmax(q k^T / sqrt(dim_out / heads)) v per head, heads concatenated.
class MultiheadAttentionBlockImpl : public torch::nn::Cloneable<MultiheadAttentionBlockImpl> {
 public:
  explicit MultiheadAttentionBlockImpl(const MultiheadAttentionBlockOptions& options);
  void reset() override;

  // x: [B, Nq, dim_query], y: [B, Nk, dim_key] (Nk >= 1) -> [B, Nq, dim_out].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& y);

  MultiheadAttentionBlockOptions options;

 private:
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, out_{nullptr};
  torch::nn::LayerNorm norm0_{nullptr}, norm1_{nullptr};  // only when options.layer_norm()
};
TORCH_MODULE(MultiheadAttentionBlock);

struct SetAttentionBlockOptions {
  SetAttentionBlockOptions(int64_t dim_in, int64_t dim_out) : dim_in_(dim_in), dim_out_(dim_out) {}
  TORCH_ARG(int64_t, dim_in);
  TORCH_ARG(int64_t, dim_out);
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(bool, layer_norm) = false;
};

// SAB(X) = MAB(X, X): self-attention among the elements of each set.
class SetAttentionBlockImpl : public torch::nn::Cloneable<SetAttentionBlockImpl> {
 public:
  explicit SetAttentionBlockImpl(const SetAttentionBlockOptions& options);
  void reset() override;

  // x: [B, N, dim_in] -> [B, N, dim_out]; permuting the N axis of x permutes the output alike.
  torch::Tensor forward(const torch::Tensor& x);

  SetAttentionBlockOptions options;

 private:
  MultiheadAttentionBlock block_{nullptr};
};
TORCH_MODULE(SetAttentionBlock);

struct PoolingByMultiheadAttentionOptions {
  PoolingByMultiheadAttentionOptions(int64_t dim, int64_t seeds) : dim_(dim), seeds_(seeds) {}
  TORCH_ARG(int64_t, dim);    // feature size in and out
  TORCH_ARG(int64_t, seeds);  // number of learned seed vectors = number of outputs per set
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(bool, layer_norm) = false;
};

// PMA(X) = MAB(S, X) with S a learned [seeds, dim] parameter (as in the authors' code, without
// an rFF on X before the attention).
class PoolingByMultiheadAttentionImpl
    : public torch::nn::Cloneable<PoolingByMultiheadAttentionImpl> {
 public:
  explicit PoolingByMultiheadAttentionImpl(const PoolingByMultiheadAttentionOptions& options);
  void reset() override;

  // x: [B, N, dim] (N >= 1) -> [B, seeds, dim]; invariant to permutations of the N axis.
  torch::Tensor forward(const torch::Tensor& x);

  PoolingByMultiheadAttentionOptions options;

 private:
  torch::Tensor seeds_;  // [1, seeds, dim]
  MultiheadAttentionBlock block_{nullptr};
};
TORCH_MODULE(PoolingByMultiheadAttention);

}  // namespace d2a
