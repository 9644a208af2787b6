#pragma once
// The mean shift of MS-DARTS (Hsieh et al. 2021) on the softmaxed architecture weights.
//
// Our reading of the method (DESIGN.md): starting from p = softmax(alpha), each of T iterations
// draws N samples s_i = project(p + U(-eps, eps)) (every row projected back onto the simplex),
// weighs sample i by a Gaussian kernel of bandwidth h around p times a softmax over the samples
// of their negated training losses (a lower loss weighs more),
//   c_i = exp(-||s_i - p||^2 / h) * softmax_i(-L(s_i)),
// and moves p to the weighted mean sum_i c_i s_i / sum_i c_i. A convex combination of simplex
// rows stays on the simplex. ||.|| is taken over all rows of all cell types together.
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace d2a {

// Euclidean projection of each row of x [R, K] onto the probability simplex (Wang and
// Carreira-Perpinan 2013): the closest row y with y >= 0 and sum(y) = 1.
torch::Tensor project_rows_onto_simplex(const torch::Tensor& x);

struct MeanShiftOptions {
  int samples = 3;         // N
  double bandwidth = 1.0;  // h
  int iterations = 2;      // T
  double eps = 0.025;      // half-width of the uniform perturbation
};

// The training loss of the supernet with op weights `weights` (one [edges, ops] tensor per
// cell type, rows on the simplex).
using SampleLoss = std::function<double(const std::vector<torch::Tensor>& weights)>;

struct MeanShiftResult {
  std::vector<torch::Tensor> shifted;               // the final p, like `start`
  std::vector<std::vector<torch::Tensor>> samples;  // every sample drawn, T * N of them
};

// Runs the mean shift from `start` (rows on the simplex, detached). The uniform noise comes from
// torch's default CPU generator (computed in double on the CPU); the results have the dtype and
// device of `start`.
MeanShiftResult mean_shift(const std::vector<torch::Tensor>& start, const SampleLoss& loss,
                           const MeanShiftOptions& options);

}  // namespace d2a
