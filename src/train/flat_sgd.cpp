#include "d2a/train/flat_sgd.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/torch.h>

#include <string>

#include "d2a/dist/process_group.h"
#include "d2a/error.h"

namespace d2a {

// Runs after a parameter's gradient accumulator has added this step's gradient into the
// parameter's view of the buffer.
struct FlatSgd::ReadyHook : torch::autograd::FunctionPostHook {
  ReadyHook(FlatSgd* owner, std::size_t parameter) : owner(owner), parameter(parameter) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list&) override {
    owner->gradient_arrived(parameter);
    return outputs;
  }
  FlatSgd* owner;
  std::size_t parameter;
};

FlatSgd::FlatSgd(const std::vector<torch::Tensor>& parameters, const FlatSgdOptions& options)
    : parameters_(parameters), options_(options) {
  if (parameters_.empty()) throw bad_input("FlatSgd: no parameters");
  const torch::TensorOptions like = parameters_.front().options();
  std::int64_t total = 0;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const torch::Tensor& p = parameters_[i];
    if (!p.is_floating_point() || p.scalar_type() != like.dtype().toScalarType() ||
        p.device() != like.device() || !p.is_non_overlapping_and_dense()) {
      throw bad_input("FlatSgd: parameter " + std::to_string(i) +
                      " is not dense floating point of the first one's dtype and device");
    }
    total += p.numel();
  }
  torch::NoGradGuard no_grad;
  values_ = torch::empty({total}, like.requires_grad(false));
  grads_ = torch::zeros({total}, like.requires_grad(false));
  std::int64_t offset = 0;
  for (torch::Tensor& p : parameters_) {
    // Same sizes and strides as the parameter (channels-last stays channels-last): a dense
    // tensor's strides cover exactly numel consecutive elements from its offset.
    torch::Tensor value = values_.as_strided(p.sizes(), p.strides(), offset);
    value.copy_(p.detach());
    p.set_data(value);
    torch::Tensor grad = grads_.as_strided(p.sizes(), p.strides(), offset);
    p.mutable_grad() = grad;
    grad_views_.push_back(grad);
    offset += p.numel();
  }
}

FlatSgd::~FlatSgd() {
  for (auto& [accumulator, key] : hooks_) accumulator->del_post_hook(key);
  if (group_ != nullptr) {
    try {
      group_->wait_started();  // nothing may still write into the buffer
    } catch (...) {
    }
  }
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : parameters_) {
    p.set_data(p.detach().clone());  // clone keeps the strides of a dense tensor
    p.mutable_grad() = torch::Tensor();
  }
}

void FlatSgd::zero_grad() {
  grads_.zero_();
  for (Bucket& b : buckets_) b.arrived = 0;
  next_bucket_ = 0;
}

void FlatSgd::average_gradients_over(dist::ProcessGroup& group, std::size_t bucket_bytes) {
  if (group_ != nullptr) throw bad_input("FlatSgd: already averaging over a group");
  if (!group.active()) return;
  group_ = &group;
  bucket_of_.assign(parameters_.size(), 0);
  // From the last parameter back, the order in which backward produces the gradients.
  const std::size_t element = grads_.element_size();
  std::int64_t end = grads_.numel();
  for (std::size_t i = parameters_.size(); i-- > 0;) {
    if (buckets_.empty() ||
        static_cast<std::size_t>(buckets_.back().numel) * element >= bucket_bytes) {
      buckets_.push_back({end, 0, 0, 0});
    }
    Bucket& b = buckets_.back();
    b.offset -= parameters_[i].numel();
    b.numel += parameters_[i].numel();
    b.parameters += 1;
    bucket_of_[i] = buckets_.size() - 1;
    end = b.offset;
  }
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    std::shared_ptr<torch::autograd::Node> accumulator =
        torch::autograd::impl::grad_accumulator(parameters_[i]);
    const std::uintptr_t key = accumulator->add_post_hook(std::make_unique<ReadyHook>(this, i));
    hooks_.emplace_back(std::move(accumulator), key);
  }
}

void FlatSgd::gradient_arrived(std::size_t parameter) {
  Bucket& b = buckets_[bucket_of_[parameter]];
  if (bucket_of_[parameter] < next_bucket_ || b.arrived >= b.parameters) {
    throw runtime_failure(
        "FlatSgd: a gradient arrived after its bucket was all-reduced (a second "
        "backward in one step?)");
  }
  ++b.arrived;
  start_ready_buckets();
}

void FlatSgd::start_ready_buckets() {
  while (next_bucket_ < buckets_.size() &&
         buckets_[next_bucket_].arrived == buckets_[next_bucket_].parameters) {
    const Bucket& b = buckets_[next_bucket_++];
    group_->start_all_reduce_sum(grads_.narrow(0, b.offset, b.numel));
  }
}

void FlatSgd::average_gradients() {
  if (group_ == nullptr) return;
  // Parameters that took no part in this backward: their buckets start now, in order.
  for (Bucket& b : buckets_) b.arrived = b.parameters;
  start_ready_buckets();
  group_->wait_started();
  grads_.mul_(1.0 / group_->world_size());
}

void FlatSgd::step(double lr) {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const torch::Tensor& g = parameters_[i].grad();
    if (!g.defined() || g.data_ptr() != grad_views_[i].data_ptr()) {
      throw runtime_failure("FlatSgd: the gradient of parameter " + std::to_string(i) +
                            " was replaced; it must stay a view of the gradient buffer");
    }
  }
  torch::NoGradGuard no_grad;
  // torch::optim::SGD: d = g + wd * p; buf = d (first step) or momentum * buf + d;
  // d = d + momentum * buf (Nesterov) or buf; p -= lr * d.
  torch::Tensor update =
      options_.weight_decay != 0 ? grads_.add(values_, options_.weight_decay) : grads_;
  if (options_.momentum != 0) {
    if (!momentum_.defined()) {
      momentum_ = update.clone();
    } else {
      momentum_.mul_(options_.momentum).add_(update);
    }
    update = options_.nesterov ? update.add(momentum_, options_.momentum) : momentum_;
  }
  values_.add_(update, -lr);
}

}  // namespace d2a
