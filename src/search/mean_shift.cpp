#include "d2a/search/mean_shift.h"

#include <torch/torch.h>

#include <string>

#include "d2a/error.h"

namespace d2a {

torch::Tensor project_rows_onto_simplex(const torch::Tensor& x) {
  if (x.dim() != 2 || x.size(1) == 0) {
    throw bad_input("project_rows_onto_simplex expects [R, K], got " + c10::str(x.sizes()));
  }
  const std::int64_t k = x.size(1);
  const torch::Tensor sorted = std::get<0>(x.sort(1, /*descending=*/true));
  const torch::Tensor cumulative = sorted.cumsum(1) - 1;
  const torch::Tensor ranks = torch::arange(1, k + 1, x.options());
  // rho = the largest j with u_j - (sum_{i<=j} u_i - 1) / j > 0; it always holds for j = 1.
  const torch::Tensor positive = (sorted - cumulative / ranks) > 0;
  const torch::Tensor rho = (positive.to(x.scalar_type()) * ranks).argmax(1, /*keepdim=*/true);
  const torch::Tensor theta = cumulative.gather(1, rho) / (rho + 1).to(x.scalar_type());
  return (x - theta).clamp_min(0);
}

namespace {

double squared_distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += (a[i] - b[i]).pow(2).sum().item<double>();
  return d;
}

std::vector<torch::Tensor> like(const std::vector<torch::Tensor>& values,
                                const std::vector<torch::Tensor>& reference) {
  std::vector<torch::Tensor> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out.push_back(values[i].to(reference[i].device(), reference[i].scalar_type()));
  }
  return out;
}

}  // namespace

MeanShiftResult mean_shift(const std::vector<torch::Tensor>& start, const SampleLoss& loss,
                           const MeanShiftOptions& options) {
  if (start.empty() || options.samples < 1 || options.iterations < 1 ||
      !(options.bandwidth > 0) || options.eps < 0) {
    throw bad_input("mean_shift: need weights, samples >= 1, iterations >= 1, bandwidth > 0 and"
                    " eps >= 0 (got " + std::to_string(options.samples) + " samples, " +
                    std::to_string(options.iterations) + " iterations, bandwidth " +
                    std::to_string(options.bandwidth) + ", eps " + std::to_string(options.eps) +
                    ")");
  }
  const auto cpu = torch::TensorOptions().dtype(torch::kDouble);
  std::vector<torch::Tensor> p;
  for (const auto& t : start) p.push_back(t.detach().to(torch::kCPU, torch::kDouble));

  MeanShiftResult result;
  for (int it = 0; it < options.iterations; ++it) {
    std::vector<std::vector<torch::Tensor>> samples;
    std::vector<double> kernel;
    std::vector<double> losses;
    for (int n = 0; n < options.samples; ++n) {
      std::vector<torch::Tensor> s;
      for (const auto& rows : p) {
        const torch::Tensor noise = (torch::rand(rows.sizes(), cpu) * 2 - 1) * options.eps;
        s.push_back(project_rows_onto_simplex(rows + noise));
      }
      kernel.push_back(std::exp(-squared_distance(s, p) / options.bandwidth));
      losses.push_back(loss(like(s, start)));
      samples.push_back(std::move(s));
    }
    const torch::Tensor preference = torch::softmax(-torch::tensor(losses, cpu), 0);
    const torch::Tensor coefficient = torch::tensor(kernel, cpu) * preference;
    const double total = coefficient.sum().item<double>();
    for (std::size_t i = 0; i < p.size(); ++i) {
      torch::Tensor mean = torch::zeros_like(p[i]);
      for (int n = 0; n < options.samples; ++n) {
        mean += coefficient[n].item<double>() / total * samples[n][i];
      }
      p[i] = mean;
    }
    for (auto& s : samples) result.samples.push_back(like(s, start));
  }
  result.shifted = like(p, start);
  return result;
}

}  // namespace d2a
