#include "d2a/meta/set_attention.h"

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "d2a/error.h"

namespace d2a {
namespace {

void check_positive(int64_t value, const char* block, const char* field) {
  if (value < 1) {
    throw bad_input(std::string(block) + ": " + field + " must be >= 1 (got " +
                    std::to_string(value) + ")");
  }
}

// [B, N, heads * d] -> [B, heads, N, d]
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

// [B, heads, N, d] -> [B, N, heads * d]
torch::Tensor merge_heads(const torch::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

void check_set_input(const torch::Tensor& x, int64_t dim, const char* block, const char* what) {
  if (x.dim() != 3 || x.size(2) != dim || x.size(1) < 1) {
    throw bad_input(std::string(block) + ": " + what + " must be [B, N >= 1, " +
                    std::to_string(dim) + "], got " + c10::str(x.sizes()));
  }
}

}  // namespace

MultiheadAttentionBlockImpl::MultiheadAttentionBlockImpl(
    const MultiheadAttentionBlockOptions& options_)
    : options(options_) {
  reset();
}

void MultiheadAttentionBlockImpl::reset() {
  const char* name = "multihead attention block";
  check_positive(options.dim_query(), name, "dim_query");
  check_positive(options.dim_key(), name, "dim_key");
  check_positive(options.dim_out(), name, "dim_out");
  check_positive(options.heads(), name, "heads");
  if (options.dim_out() % options.heads() != 0) {
    throw bad_input(std::string(name) + ": heads (" + std::to_string(options.heads()) +
                    ") must divide dim_out (" + std::to_string(options.dim_out()) + ")");
  }
  query_ = register_module("query", torch::nn::Linear(options.dim_query(), options.dim_out()));
  // No key bias: q . (k + b) shifts every logit of a query by the same q . b, which the
  // softmax cancels, so such a bias would be a parameter that never gets a gradient.
  key_ = register_module(
      "key", torch::nn::Linear(
                 torch::nn::LinearOptions(options.dim_key(), options.dim_out()).bias(false)));
  value_ = register_module("value", torch::nn::Linear(options.dim_key(), options.dim_out()));
  out_ = register_module("out", torch::nn::Linear(options.dim_out(), options.dim_out()));
  if (options.layer_norm()) {
    const std::vector<int64_t> shape{options.dim_out()};
    norm0_ = register_module("norm0", torch::nn::LayerNorm(torch::nn::LayerNormOptions(shape)));
    norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions(shape)));
  } else {
    norm0_ = nullptr;
    norm1_ = nullptr;
  }
}

torch::Tensor MultiheadAttentionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& y) {
  check_set_input(x, options.dim_query(), "multihead attention block", "queries");
  check_set_input(y, options.dim_key(), "multihead attention block", "keys");
  const int64_t heads = options.heads();
  const torch::Tensor q = split_heads(query_(x), heads);
  const torch::Tensor k = split_heads(key_(y), heads);
  const torch::Tensor v = split_heads(value_(y), heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(options.dim_out() / heads));
  const torch::Tensor attention = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale, -1);
  torch::Tensor h = merge_heads(q + torch::matmul(attention, v));
  if (norm0_) h = norm0_(h);
  h = h + torch::relu(out_(h));
  if (norm1_) h = norm1_(h);
  return h;
}

SetAttentionBlockImpl::SetAttentionBlockImpl(const SetAttentionBlockOptions& options_)
    : options(options_) {
  reset();
}

void SetAttentionBlockImpl::reset() {
  block_ = register_module(
      "block", MultiheadAttentionBlock(
                   MultiheadAttentionBlockOptions(options.dim_in(), options.dim_in(), options.dim_out())
                       .heads(options.heads())
                       .layer_norm(options.layer_norm())));
}

torch::Tensor SetAttentionBlockImpl::forward(const torch::Tensor& x) { return block_(x, x); }

PoolingByMultiheadAttentionImpl::PoolingByMultiheadAttentionImpl(
    const PoolingByMultiheadAttentionOptions& options_)
    : options(options_) {
  reset();
}

void PoolingByMultiheadAttentionImpl::reset() {
  check_positive(options.seeds(), "pooling by multihead attention", "seeds");
  check_positive(options.dim(), "pooling by multihead attention", "dim");
  seeds_ = register_parameter("seeds", torch::empty({1, options.seeds(), options.dim()}));
  torch::nn::init::xavier_uniform_(seeds_);
  block_ = register_module(
      "block", MultiheadAttentionBlock(
                   MultiheadAttentionBlockOptions(options.dim(), options.dim(), options.dim())
                       .heads(options.heads())
                       .layer_norm(options.layer_norm())));
}

torch::Tensor PoolingByMultiheadAttentionImpl::forward(const torch::Tensor& x) {
  check_set_input(x, options.dim(), "pooling by multihead attention", "input");
  return block_(seeds_.expand({x.size(0), options.seeds(), options.dim()}), x);
}

}  // namespace d2a
