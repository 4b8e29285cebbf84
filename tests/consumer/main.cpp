// A forward and backward pass through the installed library: y = relu(x W + b), loss = mean(y^2).
// Prints the loss and checks one gradient against its closed form.
#include <cmath>
#include <cstdio>

#include "autograd/ops.h"

int main() {
  staa::Generator gen(1);
  staa::Tensor x = staa::uniform({4, 3}, -1, 1, gen);
  staa::Tensor w = staa::uniform({3, 2}, -1, 1, gen).set_requires_grad(true);
  staa::Tensor b = staa::zeros({2}).set_requires_grad(true);
  const staa::Tensor y = staa::relu(staa::matmul(x, w) + b);
  const staa::Tensor loss = staa::mean(staa::square(y));
  staa::backward(loss);
  // d loss / d b_j = sum_i 2 y_ij / 8 (y_ij > 0 where relu passes).
  const auto yv = y.to_vector();
  const auto gb = b.grad().to_vector();
  for (int j = 0; j < 2; ++j) {
    double want = 0;
    for (int i = 0; i < 4; ++i) want += 2 * yv[i * 2 + j] / 8;
    if (std::abs(gb[j] - want) > 1e-6) {
      std::printf("consumer: gradient of b[%d] is %g, want %g\n", j, gb[j], want);
      return 1;
    }
  }
  std::printf("consumer: loss %.6f, gradients ok\n", loss.item());
  return 0;
}
